"""Carrier webhooks that are signed but that we cannot map: kept, acknowledged, listed and re-applied; and a parcel
the carrier reports on forgets its old handoff error."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from market.core.db import fetch
from market.settings import Settings
from market.shipping import vnpost
from market.shipping.jobs import handoff_once
from market.shipping.registry import carrier_for
from tests.factories import bearer
from tests.fakes.carrier import CarrierSim
from tests.parcels import deliver, deliver_all, handed_over, packed_cod_order, signed


@pytest.fixture
async def packed(client: httpx.AsyncClient, operator: str, categories: None, worker: Any) -> dict[str, Any]:
    return await packed_cod_order(client, operator, worker)


async def first_report(packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings) -> dict[str, Any]:
    """The carrier's `picked_up` report of the packed order's parcel, as a dict to rewrite."""
    await handed_over(settings)
    carrier_sim.advance(packed["sor"]["id"])
    (webhook,) = carrier_sim.take()
    return dict(json.loads(webhook["body"]))


async def reports(client: httpx.AsyncClient, operator: str, **params: str) -> list[dict[str, Any]]:
    answer = await client.get("/admin/v1/carrier-reports", params=params, headers=bearer(operator))
    assert answer.status_code == 200, answer.text
    assert answer.json()["object"] == "list"
    return list(answer.json()["data"])


async def seller_order_status(packed: dict[str, Any]) -> str:
    return str((await fetch("SELECT status FROM seller_order WHERE id = $1", packed["sor"]["id"]))[0]["status"])


async def test_a_signed_report_with_an_unknown_status_is_kept_acknowledged_and_reapplied_after_a_fix(
    client: httpx.AsyncClient,
    operator: str,
    packed: dict[str, Any],
    carrier_sim: CarrierSim,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = await first_report(packed, carrier_sim, settings)
    body["status_code"] = "450"  # a code the carrier added (say, "waiting at the post office") that we do not know

    answer = await deliver(client, signed(body, "tx-450"))
    again = await deliver(client, signed(body, "tx-450"))  # the carrier repeats it: still one report

    assert answer.status_code == 200, answer.text
    assert answer.json() == {"code": "success", "transaction": "tx-450"}  # the carrier stops retrying
    assert again.status_code == 200
    (kept,) = await reports(client, operator, reason="unknown_status")
    assert kept["id"].startswith("crr_") and kept["object"] == "carrier_report"
    assert (kept["status"], kept["transaction_id"], kept["carrier"]) == ("open", "tx-450", "vnpost")
    assert "450" in kept["detail"] and json.loads(kept["body"])["status_code"] == "450"
    assert await reports(client, operator, reason="unparseable") == []
    assert await seller_order_status(packed) == "packed"  # nothing applied

    monkeypatch.setitem(vnpost.STATUS_CODES, "450", "in_transit")  # the fix: the code is mapped in a release
    reapplied = await client.post(f"/admin/v1/carrier-reports/{kept['id']}/reapply", headers=bearer(operator))

    assert reapplied.status_code == 200, reapplied.text
    assert reapplied.json()["status"] == "applied" and reapplied.json()["outcome"] == "applied"
    assert await seller_order_status(packed) == "in_transit"
    assert await reports(client, operator, status="open") == []
    audit = await fetch("SELECT action, subject_id FROM audit_event WHERE action = 'carrier_report.reapplied'")
    assert [row["subject_id"] for row in audit] == [kept["id"]]


async def test_an_iso_8601_datetime_is_applied(
    client: httpx.AsyncClient, operator: str, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings
) -> None:
    body = await first_report(packed, carrier_sim, settings)
    body["datetime"] = "2026-12-02T08:15:00+07:00"

    answer = await deliver(client, signed(body, "tx-iso"))

    assert answer.status_code == 200, answer.text
    assert await seller_order_status(packed) == "handed_over"
    event = (await fetch("SELECT happened_at FROM parcel_event"))[0]
    assert event["happened_at"].isoformat() == "2026-12-02T01:15:00+00:00"
    assert await reports(client, operator) == []


async def test_malformed_bodies_and_unknown_parcels_are_kept_not_refused(
    client: httpx.AsyncClient, operator: str, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings
) -> None:
    body = await first_report(packed, carrier_sim, settings)
    stranger = {**body, "tracking_code": "EJ000000001VN", "order_code": "sor_not_ours"}
    ambiguous = {**body, "datetime": "12/02/2026 08:15"}  # neither the carrier's format nor ISO 8601
    oversized = {**body, "tracking_code": "EJ" + "9" * 40, "note": ["not", "text"]}  # would not fit our columns

    answers = [
        await deliver(client, signed(b'{"tracking_code": "EJ1', "tx-cut")),  # cut off: not JSON
        await deliver(client, signed(stranger, "tx-stranger")),
        await deliver(client, signed(ambiguous, "tx-ambiguous")),
        await deliver(client, signed(oversized, "tx-oversized")),
    ]

    assert [a.status_code for a in answers] == [200, 200, 200, 200], [a.text for a in answers]
    assert all(a.json()["code"] == "success" for a in answers)
    kept = {item["transaction_id"]: item["reason"] for item in await reports(client, operator)}
    assert kept == {"tx-cut": "unparseable", "tx-stranger": "unknown_parcel", "tx-ambiguous": "unparseable",
                    "tx-oversized": "unparseable"}  # fmt: skip
    page = await client.get("/admin/v1/carrier-reports", params={"limit": 3}, headers=bearer(operator))
    rest = await client.get("/admin/v1/carrier-reports", params={"cursor": page.json()["next_cursor"]},
                            headers=bearer(operator))  # fmt: skip
    assert page.json()["has_more"] and len(page.json()["data"]) == 3 and len(rest.json()["data"]) == 1
    assert not rest.json()["has_more"] and rest.json()["next_cursor"] is None
    still = await client.post(f"/admin/v1/carrier-reports/{page.json()['data'][0]['id']}/reapply",
                              headers=bearer(operator))  # fmt: skip
    assert still.status_code == 409 and still.json()["code"] == "report_unmappable"
    assert await seller_order_status(packed) == "packed"
    unsigned = await client.get("/admin/v1/carrier-reports")
    assert unsigned.status_code == 401


async def test_a_forged_signature_is_still_refused_and_kept_nowhere(
    client: httpx.AsyncClient, operator: str, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings
) -> None:
    body = await first_report(packed, carrier_sim, settings)
    body["status_code"] = "450"
    forged = {**signed(body, "tx-forged"), "signature": "0" * 64}

    answer = await deliver(client, forged)

    assert answer.status_code == 401 and answer.json()["code"] == "invalid_signature"
    assert await reports(client, operator) == []


async def test_a_parcel_the_carrier_reports_on_forgets_its_old_handoff_error(
    client: httpx.AsyncClient, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings
) -> None:
    adapter = carrier_for(settings)
    assert adapter is not None
    carrier_sim.faults(mode="drop", delay_s=2.5)  # the carrier creates the parcel; our client gives up waiting
    await handoff_once(adapter)
    carrier_sim.faults(mode="ok")
    sor = packed["sor"]["id"]
    before = (await client.get(f"/seller/v1/orders/{sor}/parcel", headers=packed["key"])).json()
    assert before["status"] == "pending" and before["last_error"]

    carrier_sim.advance(sor, steps=3)  # it is picked up and delivered before the next attempt
    await deliver_all(client, carrier_sim)

    parcel = (await client.get(f"/seller/v1/orders/{sor}/parcel", headers=packed["key"])).json()
    assert parcel["status"] == "delivered"
    assert parcel["last_error"] is None


async def test_a_kept_report_the_carrier_sends_again_after_the_fix_closes_by_itself(
    client: httpx.AsyncClient,
    operator: str,
    packed: dict[str, Any],
    carrier_sim: CarrierSim,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    body = await first_report(packed, carrier_sim, settings)
    body["status_code"] = "450"
    await deliver(client, signed(body, "tx-again"))
    monkeypatch.setitem(vnpost.STATUS_CODES, "450", "in_transit")

    assert (await deliver(client, signed(body, "tx-again"))).status_code == 200

    (kept,) = await reports(client, operator)
    assert (kept["status"], kept["outcome"], kept["applied_by"]) == ("applied", "applied", "carrier:vnpost")
    assert kept["deliveries"] == 1 and await seller_order_status(packed) == "in_transit"
