"""Payout batches: who is in one, the money moved in the ledger, idempotent creation and marking, the events."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta
from typing import Any

import httpx
import pytest

from market.core import clock
from market.core.db import fetch
from market.core.errors import DomainError
from market.ledger import accounts
from market.ledger import service as ledger
from market.ledger.checks import check
from market.payouts import service
from tests.factories import bearer
from tests.payouts import START, banked_seller, events, sale

PERIOD = {"period_start": "2026-11-02", "period_end": "2026-11-08"}
LATER = START + timedelta(hours=49)


async def _create(client: httpx.AsyncClient, operator: str, body: dict[str, str] | None = None,
                  key: str | None = None) -> httpx.Response:  # fmt: skip
    headers = bearer(operator) | {"Idempotency-Key": key or f"k-{(body or PERIOD)['period_start']}"}
    with clock.frozen_at(LATER):
        return await client.post("/admin/v1/payout-batches", json=body or PERIOD, headers=headers)


async def _three_sellers(client: httpx.AsyncClient, operator: str) -> tuple[dict[str, Any], ...]:
    """One to pay, one whose account is still cooling off, one under the minimum (50,000 đ)."""
    with clock.frozen_at(START):
        paid = await banked_seller(client, operator)
        small = await banked_seller(client, operator, account_number="0071000999111")
    with clock.frozen_at(START + timedelta(hours=30)):
        cooling = await banked_seller(client, operator, account_number="0071000555222")
    await sale(paid["seller"]["id"], 150_000)
    await sale(paid["seller"]["id"], 95_760)
    await sale(cooling["seller"]["id"], 300_000)
    await sale(small["seller"]["id"], 49_999)
    return paid, cooling, small


async def test_a_batch_pays_each_eligible_seller_its_available_balance(
    client: httpx.AsyncClient, operator: str
) -> None:
    paid, cooling, small = await _three_sellers(client, operator)
    created = await _create(client, operator, key="batch-1")
    assert created.status_code == 201, created.text
    batch = created.json()
    assert created.headers["location"] == f"/admin/v1/payout-batches/{batch['id']}"
    assert (batch["line_count"], batch["total"], batch["pending"], batch["status"]) == (1, 245_760, 1, "open")
    detail = (await client.get(f"/admin/v1/payout-batches/{batch['id']}", headers=bearer(operator))).json()
    [line] = detail["lines"]
    assert (line["seller_id"], line["amount"], line["status"]) == (paid["seller"]["id"], 245_760, "pending")
    assert (line["account_number"], line["holder_name"], line["reference"]) == (
        "0071000123456",
        "NGUYEN VAN AN",
        "CNS PO00001 00001",
    )
    balance = await ledger.seller_balance(paid["seller"]["id"])
    assert (balance.available, balance.in_transit) == (0, 245_760)
    assert (await ledger.seller_balance(cooling["seller"]["id"])).available == 300_000
    assert (await ledger.seller_balance(small["seller"]["id"])).available == 49_999

    again = await _create(client, operator, key="batch-1")  # a retry
    assert again.status_code == 201 and again.json()["id"] == batch["id"]
    same_period = await _create(client, operator, key="another-key")  # the period is the natural key
    assert same_period.json()["id"] == batch["id"]
    reused = await _create(client, operator, {"period_start": "2026-11-09", "period_end": "2026-11-15"}, "batch-1")
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    missing = await client.post("/admin/v1/payout-batches", json=PERIOD, headers=bearer(operator))
    assert missing.status_code == 400 and missing.json()["code"] == "idempotency_key_missing"
    nothing = await _create(client, operator, {"period_start": "2026-11-01", "period_end": "2026-11-01"})
    assert nothing.status_code == 409 and nothing.json()["code"] == "nothing_to_pay"
    backwards = await _create(client, operator, {"period_start": "2026-11-08", "period_end": "2026-11-02"})
    assert backwards.status_code == 422 and backwards.json()["errors"][0]["field"] == "period_end"
    assert (await fetch("SELECT count(*) AS n FROM payout_line"))[0]["n"] == 1
    assert await check() == []

    listed = (await client.get("/admin/v1/payout-batches", headers=bearer(operator))).json()
    assert [b["id"] for b in listed["data"]] == [batch["id"]]
    mine = (await client.get("/seller/v1/payouts", headers=bearer(paid["session"]))).json()
    assert [(p["id"], p["amount"], p["account_number_masked"]) for p in mine["data"]] == [
        (line["id"], 245_760, "*********3456")
    ]
    assert "vietqr" not in mine["data"][0] and "account_number" not in mine["data"][0]
    other = await client.get(f"/seller/v1/payouts/{line['id']}", headers=bearer(cooling["session"]))
    assert other.status_code == 404
    assert (await client.get("/admin/v1/payout-batches", headers=bearer(paid["session"]))).status_code == 401


async def _one_line(client: httpx.AsyncClient, operator: str) -> tuple[dict[str, Any], dict[str, Any]]:
    with clock.frozen_at(START):
        seller = await banked_seller(client, operator)
    await sale(seller["seller"]["id"], 200_000)
    batch = (await _create(client, operator)).json()
    detail = (await client.get(f"/admin/v1/payout-batches/{batch['id']}", headers=bearer(operator))).json()
    return seller, detail["lines"][0]


def _line_url(line: dict[str, Any], move: str) -> str:
    return f"/admin/v1/payout-batches/{line['batch_id']}/lines/{line['id']}/{move}"


async def test_paid_then_returned_moves_the_money_once_each_and_says_so(
    client: httpx.AsyncClient, operator: str
) -> None:
    seller, line = await _one_line(client, operator)
    seller_id = seller["seller"]["id"]
    paid = await client.post(
        _line_url(line, "paid"), json={"bank_reference": "FT26313000123"}, headers=bearer(operator)
    )
    assert paid.status_code == 200, paid.text
    assert (paid.json()["status"], paid.json()["bank_reference"]) == ("paid", "FT26313000123")
    replay = await client.post(_line_url(line, "paid"), json={"bank_reference": "FT26313000123"},
                               headers=bearer(operator))  # fmt: skip
    assert replay.status_code == 200 and replay.json()["paid_at"] == paid.json()["paid_at"]
    other = await client.post(_line_url(line, "paid"), json={"bank_reference": "FT999"}, headers=bearer(operator))
    assert other.status_code == 409 and other.json()["code"] == "payout_line_settled"
    failed = await client.post(_line_url(line, "failed"), json={"reason": "sai số tài khoản"},
                               headers=bearer(operator))  # fmt: skip
    assert failed.status_code == 409 and failed.json()["current_status"] == "paid"
    balance = await ledger.seller_balance(seller_id)
    assert (balance.available, balance.in_transit) == (0, 0)
    assert await events("payout.paid") == [{"payout_id": line["id"], "batch_id": line["batch_id"],
                                            "seller_id": seller_id, "amount": 200_000,
                                            "reference": line["reference"]}]  # fmt: skip

    for _ in range(2):
        returned = await client.post(_line_url(line, "returned"), json={"reason": "Tài khoản đã đóng"},
                                     headers=bearer(operator))  # fmt: skip
        assert returned.status_code == 200 and returned.json()["status"] == "returned"
    assert (await ledger.seller_balance(seller_id)).available == 200_000
    assert [e["reason"] for e in await events("payout.returned")] == ["Tài khoản đã đóng"]
    kinds = await fetch("SELECT kind FROM ledger_entry WHERE source LIKE 'payout_line:%' ORDER BY created_at, kind")
    assert sorted(row["kind"] for row in kinds) == ["payout_paid", "payout_reserved", "payout_returned"]
    audit = await fetch("SELECT action FROM audit_event WHERE subject_id = $1 ORDER BY at", line["id"])
    assert [row["action"] for row in audit] == ["payout_line.paid", "payout_line.returned"]
    assert await check() == []


async def test_a_failed_line_gives_the_money_back_and_the_seller_is_paid_in_the_next_batch(
    client: httpx.AsyncClient, operator: str
) -> None:
    seller, line = await _one_line(client, operator)
    failed = await client.post(_line_url(line, "failed"), json={"reason": "Sai tên người hưởng"},
                               headers=bearer(operator))  # fmt: skip
    assert failed.status_code == 200 and failed.json()["status"] == "failed"
    assert (await ledger.seller_balance(seller["seller"]["id"])).available == 200_000
    assert [e["reason"] for e in await events("payout.failed")] == ["Sai tên người hưởng"]
    returned = await client.post(_line_url(line, "returned"), json={"reason": "x"}, headers=bearer(operator))
    assert returned.status_code == 409 and returned.json()["current_status"] == "failed"
    paid = await client.post(_line_url(line, "paid"), json={"bank_reference": "FT1"}, headers=bearer(operator))
    assert paid.status_code == 409
    nxt = await _create(client, operator, {"period_start": "2026-11-09", "period_end": "2026-11-15"})
    assert nxt.status_code == 201 and nxt.json()["total"] == 200_000
    missing = await client.post(f"/admin/v1/payout-batches/{line['batch_id']}/lines/pol_nope/paid",
                                json={"bank_reference": "FT1"}, headers=bearer(operator))  # fmt: skip
    assert missing.status_code == 404


async def test_concurrent_batches_never_take_the_same_money_twice(client: httpx.AsyncClient, operator: str) -> None:
    with clock.frozen_at(START):
        sellers = [await banked_seller(client, operator, account_number=f"00710001{n:05d}") for n in range(6)]
    for n, seller in enumerate(sellers):
        await sale(seller["seller"]["id"], 100_000 + n)

    async def attempt(n: int) -> str | None:
        day = date(2026, 11, 1) + timedelta(days=n)
        try:
            with clock.frozen_at(LATER):
                batch, _ = await service.create_batch(day, day, actor="system", minimum=50_000)
        except DomainError as exc:
            return None if exc.code == "nothing_to_pay" else exc.code
        return batch.id

    created = [batch for batch in await asyncio.gather(*(attempt(n) for n in range(8))) if batch]
    assert len(created) == 1 and created[0].startswith("pob_")
    lines = await fetch("SELECT seller_id, amount FROM payout_line")
    assert sorted(row["seller_id"] for row in lines) == sorted(s["seller"]["id"] for s in sellers)
    for seller in sellers:
        balance = await ledger.seller_balance(seller["seller"]["id"])
        assert balance.available == 0 and balance.in_transit >= 100_000
    assert await check() == []


async def test_the_database_refuses_a_second_pending_line_for_a_seller(
    client: httpx.AsyncClient, operator: str
) -> None:
    seller, _ = await _one_line(client, operator)
    with pytest.raises(Exception, match="payout_line_one_pending"):
        await fetch(
            "INSERT INTO payout_line (id, batch_id, seller_id, bank_account_id, bank_bin, account_number, "
            "holder_name, amount, reference, status, created_at) SELECT 'pol_x', batch_id, seller_id, "
            "bank_account_id, bank_bin, account_number, holder_name, 1, 'X', 'pending', now() FROM payout_line"
        )
    assert accounts.in_transit(seller["seller"]["id"]).endswith(":in_transit")


async def test_the_worker_creates_the_weekly_batch_on_the_payout_weekday_once(
    client: httpx.AsyncClient, operator: str
) -> None:
    from market.payouts.jobs import weekly_batch

    with clock.frozen_at(START):
        seller = await banked_seller(client, operator)
    await sale(seller["seller"]["id"], 120_000)
    with clock.frozen_at(LATER):  # a Wednesday: PAYOUT_WEEKDAY is Monday by default
        assert await weekly_batch({}) is None
    with clock.frozen_at(START + timedelta(days=7)):  # Monday 16 November, 09:00 in Vietnam
        first = await weekly_batch({})
        assert first is not None and await weekly_batch({}) == first
    batch = await service.get_batch(first)
    assert (batch.period_start, batch.period_end, batch.total, batch.actor) == (
        date(2026, 11, 9),
        date(2026, 11, 15),
        120_000,
        "system",
    )
