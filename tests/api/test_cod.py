"""COD reconciliation end to end against the carrier simulator: per parcel expected, collected and remitted cash
with the carrier's fees, read by the seller, the operator and the buyer; problems an operator lists and resolves."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from market.core import clock
from market.core.db import fetch
from market.settings import Settings
from market.shipping.jobs import raise_unremitted_cod
from tests.factories import bearer
from tests.fakes.carrier import CarrierSim
from tests.parcels import deliver, delivered_cod_parcel, handed_over, packed_cod_order, signed


@pytest.fixture
async def packed(client: httpx.AsyncClient, operator: str, categories: None, worker: Any) -> dict[str, Any]:
    return await packed_cod_order(client, operator, worker)


async def import_batch(client: httpx.AsyncClient, operator: str, batch: str, csv: str) -> dict[str, Any]:
    answer = await client.post("/admin/v1/cod-remittances", params={"batch": batch}, content=csv,
                               headers={**bearer(operator), "Content-Type": "text/csv"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def problems(client: httpx.AsyncClient, operator: str, **params: str) -> list[dict[str, Any]]:
    answer = await client.get("/admin/v1/cod-problems", params=params, headers=bearer(operator))
    assert answer.status_code == 200, answer.text
    assert answer.json()["object"] == "list"
    return list(answer.json()["data"])


async def seller_view(client: httpx.AsyncClient, packed: dict[str, Any]) -> dict[str, Any]:
    answer = await client.get(f"/seller/v1/orders/{packed['sor']['id']}/parcel", headers=packed["key"])
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def test_a_cod_order_delivered_collected_and_remitted_with_its_fee_reads_right_to_everyone(
    client: httpx.AsyncClient, operator: str, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings
) -> None:
    parcel = await delivered_cod_parcel(client, packed, carrier_sim, settings)
    amount, fee = packed["sor"]["cod_amount"], parcel["fee"]
    assert amount > 0 and fee > 0

    collected = (await seller_view(client, packed))["reconciliation"]
    assert collected == {"expected": amount, "collected": amount, "remitted": None, "remittance_fee": None,
                         "net_remitted": None, "carrier_fee": fee, "batches": [], "status": "collected",
                         "open_problems": 0, "currency": "VND"}  # fmt: skip

    batch, csv = carrier_sim.remittance()  # the carrier's own file: tracking_code,amount,fee
    summary = await import_batch(client, operator, batch, csv)

    assert (summary["batch"], summary["lines"], summary["matched"]) == (batch, 1, 1)
    assert (summary["amount"], summary["fees"], summary["net"]) == (amount, fee, amount - fee)
    assert summary["problems"] == []
    remitted = {"expected": amount, "collected": amount, "remitted": amount, "remittance_fee": fee,
                "net_remitted": amount - fee, "carrier_fee": fee, "batches": [batch], "status": "remitted",
                "open_problems": 0, "currency": "VND"}  # fmt: skip
    assert (await seller_view(client, packed))["reconciliation"] == remitted
    listed = await client.get("/admin/v1/parcels", params={"status": "delivered"}, headers=bearer(operator))
    assert [item["reconciliation"] for item in listed.json()["data"]] == [remitted]
    tracking = await client.get(f"/api/v1/orders/{packed['order']['id']}/tracking", headers=packed["buyer"]["headers"])
    (buyer_parcel,) = tracking.json()["data"]
    assert buyer_parcel["cod"] == {"amount": amount, "paid_at_door": True, "currency": "VND"}
    assert buyer_parcel["reconciliation"] is None  # the marketplace's books are not the buyer's
    assert (await fetch("SELECT cod_remitted FROM seller_order"))[0]["cod_remitted"] == amount
    (event,) = await fetch("SELECT payload FROM outbox_event WHERE type = 'seller_order.cod_remitted'")
    assert json.loads(event["payload"]) == {  # what the ledger posts from
        "seller_order_id": packed["sor"]["id"], "order_id": packed["order"]["id"],
        "seller_id": packed["shop"]["seller"]["id"], "amount": amount, "fee": fee, "batch": batch,
    }  # fmt: skip
    (audit,) = await fetch(
        "SELECT actor, subject_id, details FROM audit_event WHERE action = 'cod_remittance.imported'"
    )
    assert audit["actor"].startswith("operator:opr_") and audit["subject_id"] == batch
    assert json.loads(audit["details"]) == {"lines": 1, "matched": 1, "problems": 0, "repeated": 0,
                                            "amount": amount, "fees": fee}  # fmt: skip


async def test_a_parcel_paid_in_a_second_batch_is_a_problem_an_operator_resolves(
    client: httpx.AsyncClient, operator: str, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings
) -> None:
    parcel = await delivered_cod_parcel(client, packed, carrier_sim, settings)
    amount, tracking = packed["sor"]["cod_amount"], parcel["tracking_code"]
    line = f"tracking_code,amount,fee\n{tracking},{amount},22000\n"
    await import_batch(client, operator, "COD-00101", line)

    second = await import_batch(client, operator, "COD-00102", line)
    repeat = await import_batch(client, operator, "COD-00102", line)  # the same file twice: nothing new

    assert second["matched"] == 0 and [p["kind"] for p in second["problems"]] == ["paid_twice"]
    assert repeat["repeated"] == 1 and repeat["problems"] == []
    newest = await client.get("/admin/v1/cod-remittances", params={"limit": 1}, headers=bearer(operator))
    oldest = await client.get("/admin/v1/cod-remittances", params={"cursor": newest.json()["next_cursor"]},
                              headers=bearer(operator))  # fmt: skip
    assert [(b["id"], b["lines"], b["matched"], b["net"]) for b in newest.json()["data"] + oldest.json()["data"]] == [
        ("COD-00102", 1, 0, amount - 22000), ("COD-00101", 1, 1, amount - 22000)]  # fmt: skip
    assert newest.json()["has_more"] and not oldest.json()["has_more"]
    forged = await client.get("/admin/v1/cod-remittances", params={"cursor": "WyJ4Il0"}, headers=bearer(operator))
    assert forged.status_code == 400 and forged.json()["code"] == "invalid_cursor"
    (problem,) = await problems(client, operator, kind="paid_twice")
    assert problem["id"].startswith("cpb_") and problem["object"] == "cod_problem"
    assert (problem["status"], problem["tracking_code"], problem["batch"]) == ("open", tracking, "COD-00102")
    assert (problem["amount"], problem["expected"], problem["seller_order_id"]) == (amount, amount, packed["sor"]["id"])
    assert "COD-00101" in problem["detail"]
    assert (await fetch("SELECT cod_remitted FROM seller_order"))[0]["cod_remitted"] == amount  # settled once
    assert len(await fetch("SELECT 1 FROM outbox_event WHERE type = 'seller_order.cod_remitted'")) == 1
    view = (await seller_view(client, packed))["reconciliation"]  # the cash that came, both times, for the books
    assert (view["remitted"], view["remittance_fee"], view["batches"]) == (
        2 * amount,
        44000,
        ["COD-00101", "COD-00102"],
    )
    assert (view["status"], view["open_problems"]) == ("problem", 1)

    no_note = await client.post(f"/admin/v1/cod-problems/{problem['id']}/resolve", json={}, headers=bearer(operator))
    note = "VNPost trừ lại trong đợt COD-00103"
    resolved = await client.post(
        f"/admin/v1/cod-problems/{problem['id']}/resolve", json={"note": note}, headers=bearer(operator)
    )
    twice = await client.post(f"/admin/v1/cod-problems/{problem['id']}/resolve", json={"note": "again"},
                              headers=bearer(operator))  # fmt: skip

    assert no_note.status_code == 422 and no_note.json()["errors"][0]["field"] == "note"
    assert resolved.status_code == 200, resolved.text
    body = resolved.json()
    assert body["status"] == "resolved" and body["resolution"] == "VNPost trừ lại trong đợt COD-00103"
    assert body["resolved_by"].startswith("operator:opr_") and body["resolved_at"].endswith("Z")
    assert twice.status_code == 409 and twice.json()["code"] == "already_resolved"
    assert await problems(client, operator, status="open") == []
    assert [p["id"] for p in await problems(client, operator, status="resolved")] == [problem["id"]]
    (audit,) = await fetch("SELECT subject_id, reason FROM audit_event WHERE action = 'cod_problem.resolved'")
    assert (audit["subject_id"], audit["reason"]) == (problem["id"], "VNPost trừ lại trong đợt COD-00103")


async def test_two_batches_racing_to_pay_one_parcel_pay_it_once(
    client: httpx.AsyncClient, operator: str, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings
) -> None:
    parcel = await delivered_cod_parcel(client, packed, carrier_sim, settings)
    line = f"tracking_code,amount,fee\n{parcel['tracking_code']},{packed['sor']['cod_amount']},20000\n"

    results = await asyncio.gather(*(import_batch(client, operator, f"COD-R{n}", line) for n in range(6)))

    assert sum(result["matched"] for result in results) == 1
    assert len(await problems(client, operator, kind="paid_twice")) == 5


async def test_amounts_that_differ_and_unknown_tracking_codes_are_problems(
    client: httpx.AsyncClient, operator: str, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings
) -> None:
    await handed_over(settings)
    carrier_sim.advance(packed["sor"]["id"], steps=3)
    *moving, delivered = carrier_sim.take()
    for webhook in moving:
        await deliver(client, webhook)
    short = {**json.loads(delivered["body"])}
    amount = packed["sor"]["cod_amount"]
    short["money_collect"] = amount - 5000  # the postman collected 5,000 đ too little
    assert (await deliver(client, signed(short, delivered["transaction"]))).status_code == 200
    tracking = (await fetch("SELECT tracking_code FROM parcel"))[0]["tracking_code"]

    summary = await import_batch(client, operator, "COD-00201", f"tracking_code,amount,fee\n{tracking},{amount - 5000},"
                                 "20000\nEJ999999999VN,50000,20000\n")  # fmt: skip

    assert summary["matched"] == 0
    assert sorted(p["kind"] for p in summary["problems"]) == ["amount_mismatch", "unknown_parcel"]
    found = {p["kind"]: p for p in await problems(client, operator)}
    assert set(found) == {"collected_mismatch", "amount_mismatch", "unknown_parcel"}
    assert (found["collected_mismatch"]["expected"], found["collected_mismatch"]["collected"]) == (
        amount,
        amount - 5000,
    )
    mismatch = found["amount_mismatch"]
    assert (mismatch["amount"], mismatch["expected"], mismatch["collected"]) == (amount - 5000, amount, amount - 5000)
    assert found["unknown_parcel"]["tracking_code"] == "EJ999999999VN" and found["unknown_parcel"]["parcel_id"] is None
    assert [p["kind"] for p in await problems(client, operator, kind="unknown_parcel")] == ["unknown_parcel"]
    assert (await fetch("SELECT cod_remitted FROM seller_order"))[0]["cod_remitted"] is None  # not settled as paid
    view = (await seller_view(client, packed))["reconciliation"]
    assert (view["collected"], view["remitted"], view["batches"]) == (amount - 5000, amount - 5000, ["COD-00201"])
    assert (view["status"], view["open_problems"]) == ("problem", 2)
    bad_filter = await client.get("/admin/v1/cod-problems", params={"kind": "nonsense"}, headers=bearer(operator))
    assert bad_filter.status_code in (400, 422)


async def test_a_remittance_for_a_cancelled_parcel_is_a_problem(
    client: httpx.AsyncClient, operator: str, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings,
    worker: Any,
) -> None:  # fmt: skip
    await handed_over(settings)
    await client.post(f"/seller/v1/orders/{packed['sor']['id']}/cancel", json={"reason": "Khách đổi ý"},
                      headers=packed["key"])  # fmt: skip
    await worker()
    tracking = (await fetch("SELECT tracking_code, status FROM parcel"))[0]
    assert tracking["status"] == "cancelled"

    csv = f"tracking_code,amount,fee\n{tracking['tracking_code']},90000,20000\n"
    summary = await import_batch(client, operator, "COD-00301", csv)

    assert [p["kind"] for p in summary["problems"]] == ["cancelled_parcel"]
    (problem,) = await problems(client, operator, kind="cancelled_parcel")
    assert problem["seller_order_id"] == packed["sor"]["id"] and problem["amount"] == 90000


async def test_a_delivered_parcel_still_unpaid_after_the_due_days_is_raised_once_on_the_vietnamese_date(
    client: httpx.AsyncClient, operator: str, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings
) -> None:
    parcel = await delivered_cod_parcel(client, packed, carrier_sim, settings)
    delivered_on = clock.vietnamese_date(parcel["delivered_at"])
    due = settings.cod_remittance_due_days

    with clock.frozen_at(clock.end_of_day(delivered_on + timedelta(days=due)) - timedelta(seconds=1)):
        assert await raise_unremitted_cod({}) == 0  # the last second of the last day it may arrive
    with clock.frozen_at(clock.end_of_day(delivered_on + timedelta(days=due))):
        assert await raise_unremitted_cod({}) == 1
        assert await raise_unremitted_cod({}) == 0  # raised once, kept
    (problem,) = await problems(client, operator, kind="unremitted")
    assert (problem["status"], problem["tracking_code"]) == ("open", parcel["tracking_code"])

    batch, csv = carrier_sim.remittance()
    await import_batch(client, operator, batch, csv)

    (settled,) = await problems(client, operator, kind="unremitted")
    assert settled["status"] == "resolved" and settled["resolved_by"] == "system" and batch in settled["resolution"]


async def test_market_cod_import_settles_the_carriers_batch_and_says_what_it_did(
    client: httpx.AsyncClient, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings, tmp_path: Path
) -> None:
    await delivered_cod_parcel(client, packed, carrier_sim, settings)
    batch, csv = carrier_sim.remittance()
    path = tmp_path / f"{batch}.csv"
    path.write_text(csv, encoding="utf-8")
    amount = packed["sor"]["cod_amount"]

    command = await asyncio.create_subprocess_exec(
        sys.executable, "-c", "from market.cli import main; main()", "cod", "import", str(path),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(command.communicate(), 60)

    assert command.returncode == 0, err.decode()
    assert out.decode().startswith(f"batch {batch}: 1 new lines, 1 matched, 0 problems, 0 already imported")
    assert (await fetch("SELECT cod_remitted FROM seller_order"))[0]["cod_remitted"] == amount
    (audit,) = await fetch("SELECT actor FROM audit_event WHERE action = 'cod_remittance.imported'")
    assert audit["actor"] == "system:cli"


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from market.cli import main; main()", *args],
        capture_output=True, text=True, timeout=60, env=os.environ.copy(), check=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (b"%PDF-1.4\n\xff\xfe\x00binary", "not a text file"),
        (b'{"batch": "COD-1", "lines": []}\n', "tracking_code,amount,fee"),
        (b"tracking_code,amount,fee\nEJ123456789VN,nine thousand,0\n", "line 2"),
    ],
)
def test_cod_import_of_a_file_that_is_not_the_carriers_csv_says_so_without_a_traceback(
    tmp_path: Path, content: bytes, says: str
) -> None:
    path = tmp_path / "remittance.csv"
    path.write_bytes(content)

    done = run_cli("cod", "import", str(path), "--batch", "COD-X")

    assert done.returncode == 1, done.stderr
    assert "Traceback" not in done.stderr
    assert says in done.stderr
