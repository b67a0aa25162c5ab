"""Handoff to the carrier and tracking, against the carrier simulator over real HTTP."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from market.core.db import fetch
from market.inventory.service import levels
from market.settings import Settings
from market.shipping import service
from market.shipping.jobs import handoff_once
from market.shipping.registry import carrier_for
from tests.factories import bearer
from tests.fakes.carrier import CarrierSim
from tests.parcels import deliver, due_now, handed_over, packed_cod_order


@pytest.fixture
async def packed(client: httpx.AsyncClient, operator: str, categories: None, worker: Any) -> dict[str, Any]:
    """A cash-on-delivery seller order of 2 kg (catch weight) and 1 box, packed; its parcel row is open."""
    return await packed_cod_order(client, operator, worker)


async def test_a_packed_order_gets_one_parcel_and_the_seller_its_label(
    client: httpx.AsyncClient, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings
) -> None:
    sor = packed["sor"]["id"]
    assert (await client.get(f"/seller/v1/orders/{sor}/parcel", headers=packed["key"])).json()["status"] == "pending"

    tried = await handoff_once(carrier_for(settings))  # type: ignore[arg-type]

    assert tried == 1
    parcel = (await client.get(f"/seller/v1/orders/{sor}/parcel", headers=packed["key"])).json()
    assert parcel["status"] == "created" and parcel["tracking_code"].startswith("EJ")
    assert parcel["tracking_code"].endswith("VN") and parcel["label_url"]
    at_carrier = carrier_sim.parcels()
    assert [p["order_code"] for p in at_carrier["parcels"]] == [sor]
    assert at_carrier["parcels"][0]["cod_amount"] == packed["sor"]["cod_amount"]
    label = httpx.get(parcel["label_url"])
    assert label.headers["content-type"] == "application/pdf" and label.content.startswith(b"%PDF-1.4")
    assert parcel["tracking_code"].encode() in label.content


async def test_cancelling_before_pickup_withdraws_the_parcel(
    client: httpx.AsyncClient, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings, worker: Any
) -> None:
    await handoff_once(carrier_for(settings))  # type: ignore[arg-type]
    sor = packed["sor"]["id"]

    cancelled = await client.post(f"/seller/v1/orders/{sor}/cancel", json={"reason": "Khách đổi ý"},
                                  headers=packed["key"])  # fmt: skip
    await worker()

    assert cancelled.status_code == 200
    assert (await fetch("SELECT status FROM parcel"))[0]["status"] == "cancelled"
    assert carrier_sim.parcels()["parcels"][0]["status_code"] == "900"


async def test_a_dropped_answer_never_makes_a_second_parcel(
    client: httpx.AsyncClient, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings
) -> None:
    carrier = carrier_for(settings)
    assert carrier is not None
    carrier_sim.faults(mode="drop", delay_s=2.5)  # the carrier creates the parcel; its answer comes too late
    await handoff_once(carrier)
    carrier_sim.faults(mode="ok")
    row = (await fetch("SELECT status, attempts, last_error FROM parcel"))[0]
    assert (row["status"], row["attempts"]) == ("pending", 1) and row["last_error"]

    await due_now()
    await handoff_once(carrier)

    assert (await fetch("SELECT status FROM parcel"))[0]["status"] == "created"
    at_carrier = carrier_sim.parcels()
    assert at_carrier["count"] == 1 and at_carrier["create_calls"] == 1  # found by reference, not created again


async def test_handoff_backs_off_parks_and_an_operator_retries(
    client: httpx.AsyncClient, operator: str, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings
) -> None:
    carrier = carrier_for(settings)
    assert carrier is not None
    carrier_sim.faults(mode="down")
    waits = []
    for _ in range(service.MAX_ATTEMPTS):
        await due_now()
        await handoff_once(carrier)
        row = (await fetch("SELECT status, extract(epoch FROM next_attempt_at - now()) AS wait FROM parcel"))[0]
        waits.append(row["wait"])
    assert row["status"] == "parked" and waits[-1] is None
    for attempt, wait in enumerate(waits[:4]):  # 2, 4, 8, 16 s ceilings, each jittered down to half
        ceiling = service.BACKOFF_BASE_S * 2**attempt
        assert ceiling / 2 - 1 <= wait <= ceiling

    parked = await client.get("/admin/v1/parcels", params={"status": "parked"}, headers=bearer(operator))
    (item,) = parked.json()["data"]
    assert item["attempts"] == service.MAX_ATTEMPTS and "503" in item["last_error"]
    carrier_sim.faults(mode="ok")
    retried = await client.post(f"/admin/v1/parcels/{item['id']}/retry", headers=bearer(operator))
    assert retried.status_code == 200 and retried.json()["status"] == "pending"
    (audit,) = await fetch("SELECT actor, subject_id, details FROM audit_event WHERE action = 'parcel.retried'")
    assert audit["actor"].startswith("operator:opr_") and audit["subject_id"] == item["id"]
    assert "503" in json.loads(audit["details"])["last_error"]
    await handoff_once(carrier)
    assert (await fetch("SELECT status FROM parcel"))[0]["status"] == "created"
    again = await client.post(f"/admin/v1/parcels/{item['id']}/retry", headers=bearer(operator))
    assert again.status_code == 409 and again.json()["code"] == "not_parked"


async def test_tracking_webhooks_three_times_shuffled_end_as_in_order(
    client: httpx.AsyncClient, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings
) -> None:
    await handed_over(settings)
    sor = packed["sor"]
    carrier_sim.advance(sor["id"], steps=3)  # picked up, in transit, delivered
    carrier_sim.faults(duplicate=True, shuffle=True)
    webhooks = carrier_sim.take() + carrier_sim.take()  # nothing more: the same three, then none
    webhooks = webhooks + webhooks[:3]

    answers = [await deliver(client, webhook) for webhook in webhooks]

    assert all(a.status_code == 200 and a.json()["code"] == "success" for a in answers)
    assert len(webhooks) == 9
    order = (await client.get(f"/api/v1/orders/{packed['order']['id']}", headers=packed["buyer"]["headers"])).json()
    statuses = [step["to_status"] for step in order["seller_orders"][0]["history"]]
    # The final state is the in-order one; a status that arrived after a later one is in the timeline, not history.
    assert statuses[:4] == ["confirmed", "packing", "packed", "handed_over"] and statuses[-1] == "delivered"
    assert order["seller_orders"][0]["status"] == "delivered"
    stock = await levels([packed["kg"], packed["box"]])
    assert (stock[packed["kg"]].on_hand, stock[packed["kg"]].reserved) == (38, 0)  # the stock left at pickup, once
    assert (stock[packed["box"]].on_hand, stock[packed["box"]].reserved) == (7, 0)
    row = (await fetch("SELECT cod_collected FROM seller_order WHERE id = $1", sor["id"]))[0]
    assert row["cod_collected"] == sor["cod_amount"]
    tracking = await client.get(f"/api/v1/orders/{packed['order']['id']}/tracking", headers=packed["buyer"]["headers"])
    assert tracking.status_code == 200, tracking.text
    assert tracking.json()["object"] == "list" and tracking.json()["has_more"] is False
    (parcel,) = tracking.json()["data"]
    assert [event["status"] for event in parcel["timeline"]] == ["picked_up", "in_transit", "delivered"]
    assert parcel["status"] == "delivered"


async def test_a_late_older_status_never_moves_back(
    client: httpx.AsyncClient, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings
) -> None:
    await handed_over(settings)
    carrier_sim.advance(packed["sor"]["id"], steps=2)
    picked_up, in_transit = carrier_sim.take()
    older = json.loads(picked_up["body"])
    older["datetime"] = "01/01/2026 08:00:00"  # an hour-old report, delivered last
    body = json.dumps(older).encode()
    from market.shipping.vnpost import signature

    assert (await deliver(client, in_transit)).status_code == 200
    late = {"transaction": "late-1", "body": body.decode(), "signature": signature(carrier_sim.webhook_secret, body)}
    assert (await deliver(client, late)).status_code == 200

    status = (await fetch("SELECT status FROM seller_order WHERE id = $1", packed["sor"]["id"]))[0]["status"]
    assert status == "in_transit"
    events = await fetch("SELECT status, applied FROM parcel_event ORDER BY happened_at")
    assert [(e["status"], e["applied"]) for e in events] == [("picked_up", False), ("in_transit", True)]


async def test_unsigned_or_forged_webhooks_are_refused(
    client: httpx.AsyncClient, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings
) -> None:
    await handed_over(settings)
    carrier_sim.advance(packed["sor"]["id"])
    (webhook,) = carrier_sim.take()

    forged = await deliver(client, webhook, **{"X-Signature": "0" * 64})
    unsigned = await client.post("/webhooks/carriers/vnpost", content=webhook["body"].encode())
    other = await client.post("/webhooks/carriers/ghn", content=webhook["body"].encode())

    assert forged.status_code == 401 and unsigned.status_code == 401
    assert forged.json()["code"] == "invalid_signature"
    assert other.status_code == 404
    assert await fetch("SELECT id FROM parcel_event") == []


async def test_a_failed_delivery_comes_back_to_the_shelf(
    client: httpx.AsyncClient, operator: str, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings
) -> None:
    await handed_over(settings)
    carrier_sim.call("/_sim/path", {"order_code": packed["sor"]["id"], "ends": "returned"})
    carrier_sim.advance(packed["sor"]["id"], steps=5)
    for webhook in carrier_sim.take():
        assert (await deliver(client, webhook)).status_code == 200

    history = (await client.get(f"/seller/v1/orders/{packed['sor']['id']}", headers=packed["key"])).json()["history"]
    assert [step["to_status"] for step in history][-5:] == [
        "handed_over", "in_transit", "delivery_failed", "returning", "returned"]  # fmt: skip
    stock = await levels([packed["kg"], packed["box"]])
    assert (stock[packed["kg"]].on_hand, stock[packed["kg"]].reserved) == (40, 0)  # back on the shelf
    assert (await fetch("SELECT cod_collected FROM seller_order"))[0]["cod_collected"] is None  # nothing owed
    parcel = (await client.get(f"/seller/v1/orders/{packed['sor']['id']}/parcel", headers=packed["key"])).json()
    assert parcel["cod"]["paid_at_door"] is False
    assert (parcel["reconciliation"]["collected"], parcel["reconciliation"]["status"]) == (None, "awaiting_collection")
    tracking = (await fetch("SELECT tracking_code FROM parcel"))[0]["tracking_code"]
    remitted = await client.post(  # a batch that pays for a parcel that came back is a problem, not cash
        "/admin/v1/cod-remittances", params={"batch": "COD-00009"}, headers=bearer(operator),
        content=f"tracking_code,amount,fee\n{tracking},{packed['sor']['cod_amount']},0\n",
    )  # fmt: skip
    assert [p["kind"] for p in remitted.json()["problems"]] == ["not_delivered"]
    assert (await fetch("SELECT cod_remitted FROM seller_order"))[0]["cod_remitted"] is None


async def test_cod_remittance_is_matched_per_tracking_code_and_a_batch_imported_twice_changes_nothing(
    client: httpx.AsyncClient, operator: str, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings
) -> None:
    await handed_over(settings)
    carrier_sim.advance(packed["sor"]["id"], steps=3)
    for webhook in carrier_sim.take():
        await deliver(client, webhook)
    tracking = (await fetch("SELECT tracking_code FROM parcel"))[0]["tracking_code"]
    amount = packed["sor"]["cod_amount"]
    csv = f"tracking_code,amount,fee\n{tracking},{amount},25000\nEJ999999999VN,50000,20000\n"
    headers = {**bearer(operator), "Content-Type": "text/csv"}

    imported = await client.post("/admin/v1/cod-remittances", params={"batch": "COD-00001"}, content=csv,
                                 headers=headers)  # fmt: skip
    again = await client.post("/admin/v1/cod-remittances", params={"batch": "COD-00001"}, content=csv,
                              headers=headers)  # fmt: skip
    garbage = await client.post("/admin/v1/cod-remittances", params={"batch": "COD-X"}, content="hello, world\n",
                                headers=headers)  # fmt: skip
    bad_line = await client.post("/admin/v1/cod-remittances", params={"batch": "COD-Y"},
                                 content=f"tracking_code,amount,fee\n{tracking},-5,0\n", headers=headers)  # fmt: skip
    nameless = await client.post("/admin/v1/cod-remittances", params={"batch": ""}, content=csv, headers=headers)

    assert imported.status_code == 200, imported.text
    assert (imported.json()["lines"], imported.json()["matched"]) == (2, 1)
    assert [p["kind"] for p in imported.json()["problems"]] == ["unknown_parcel"]
    assert again.json()["repeated"] == 2 and again.json()["matched"] == 0 and again.json()["problems"] == []
    assert garbage.status_code == 422 and garbage.json()["code"] == "malformed_remittance"
    assert bad_line.status_code == 422 and bad_line.json()["line"] == 2
    assert nameless.status_code in (400, 422)
    assert (await fetch("SELECT cod_remitted FROM seller_order"))[0]["cod_remitted"] == amount
    assert len(await fetch("SELECT id FROM cod_remittance_line")) == 2


async def test_the_simulator_posts_its_webhooks_to_the_running_api(
    client: httpx.AsyncClient, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings
) -> None:
    """End to end over HTTP both ways: the API served by granian, the simulator posting signed webhooks to it."""
    import asyncio
    import os
    import subprocess

    from market.cli import granian_argv
    from tests.services import free_port

    port = free_port()
    api = subprocess.Popen(granian_argv("market.app:create_app_from_env", "127.0.0.1", port),
                           env={**os.environ, "LOG_ACCESS": "false"}, stdin=subprocess.DEVNULL)  # fmt: skip
    try:
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}") as served:
            for _ in range(300):
                try:
                    if (await served.get("/health/live")).status_code == 200:
                        break
                except httpx.HTTPError:
                    await asyncio.sleep(0.1)
        await handed_over(settings)
        carrier_sim.call("/_sim/config", {"webhook_url": f"http://127.0.0.1:{port}/webhooks/carriers/vnpost"})
        for _ in range(3):  # picked up, in transit, delivered: each tick posts its webhook
            assert carrier_sim.call("/_sim/tick")["waiting"] == 0
        status = (await fetch("SELECT status FROM seller_order WHERE id = $1", packed["sor"]["id"]))[0]["status"]
        assert status == "delivered"
        assert len(await fetch("SELECT id FROM parcel_event WHERE applied")) == 3
    finally:
        api.terminate()
        api.wait(timeout=20)


async def test_operators_page_through_parcels_oldest_first(
    client: httpx.AsyncClient, operator: str, packed: dict[str, Any], worker: Any
) -> None:
    later = [await packed_cod_order(client, operator, worker) for _ in range(2)]
    expected = [packed["sor"]["id"]] + [each["sor"]["id"] for each in later]

    first = await client.get("/admin/v1/parcels", params={"limit": 2}, headers=bearer(operator))
    assert first.status_code == 200, first.text
    body = first.json()
    assert body["object"] == "list" and body["has_more"] is True
    rest = await client.get("/admin/v1/parcels", params={"limit": 2, "cursor": body["next_cursor"]},
                            headers=bearer(operator))  # fmt: skip
    assert rest.json()["has_more"] is False
    assert [p["seller_order_id"] for p in body["data"] + rest.json()["data"]] == expected

    pending = await client.get("/admin/v1/parcels", params={"status": "pending"}, headers=bearer(operator))
    assert len(pending.json()["data"]) == 3
    none = await client.get("/admin/v1/parcels", params={"status": "parked"}, headers=bearer(operator))
    assert none.json() == {"object": "list", "data": [], "has_more": False, "next_cursor": None}
    typo = await client.get("/admin/v1/parcels", params={"status": "parkd"}, headers=bearer(operator))
    assert typo.status_code == 422 and typo.json()["errors"][0]["field"] == "status"
    forged = await client.get("/admin/v1/parcels", params={"cursor": "bm90LWEtY3Vyc29y"}, headers=bearer(operator))
    assert forged.status_code == 400 and forged.json()["code"] == "invalid_cursor"
