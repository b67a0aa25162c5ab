"""Random histories of sales, bank account changes, batches and marks (repeated, out of order, concurrent): the
journal balances, no balance goes negative, in transit is exactly the pending lines, every đồng a seller sold is
available, in transit or paid out once, and each line's ledger entries are exactly those of its history."""

from __future__ import annotations

import asyncio
import itertools
from datetime import date, timedelta

import httpx
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from market.core.db import fetch
from market.core.errors import DomainError
from market.core.ids import new_id
from market.ledger import service as ledger
from market.ledger.checks import check
from market.payouts import accounts, service
from tests.payouts import VCB, sale

_periods = itertools.count()
SELLERS = 3
OPS = st.one_of(
    st.tuples(st.just("sale"), st.integers(0, SELLERS - 1), st.integers(1, 400_000)),
    st.tuples(st.just("account"), st.integers(0, SELLERS - 1), st.sampled_from([0, 1000])),  # cooling-off hours
    st.tuples(st.just("batch"), st.integers(1, 3), st.just(0)),  # that many creations at once
    st.tuples(st.sampled_from(["paid", "failed", "returned"]), st.integers(0, 5), st.integers(1, 2)),  # twice?
)


async def _apply(op: tuple[str, int, int], sellers: list[str], sold: dict[str, int]) -> None:
    kind, a, b = op
    if kind == "sale":
        await sale(sellers[a], b)
        sold[sellers[a]] += b
    elif kind == "account":
        await accounts.set_account(sellers[a], VCB, f"0071{len(sold) * 7 + a:09d}{b % 7}", "Lê Thị Hoa",
                                   actor="test", cooling_off_h=b)  # fmt: skip
    elif kind == "batch":

        def period() -> date:
            return date(2000, 1, 1) + timedelta(days=next(_periods))

        async def create() -> None:
            day = period()
            try:
                await service.create_batch(day, day, actor="test", minimum=50_000)
            except DomainError as exc:
                assert exc.code == "nothing_to_pay"  # noqa: PT017

        await asyncio.gather(*(create() for _ in range(a)))
    else:
        lines = await fetch("SELECT id, batch_id FROM payout_line WHERE seller_id = ANY($1) ORDER BY id", sellers)
        if not lines:
            return
        line = lines[a % len(lines)]
        for _ in range(b):
            try:
                await service.mark(line["batch_id"], line["id"], kind, actor="test", bank_reference="FT1",
                                   reason="ngân hàng từ chối")  # fmt: skip
            except DomainError as exc:
                assert exc.code == "payout_line_settled"  # noqa: PT017


async def _invariants(sellers: list[str], sold: dict[str, int]) -> None:
    assert await check() == []
    for seller in sellers:
        balance = await ledger.seller_balance(seller)
        rows = await fetch("SELECT id, status, amount FROM payout_line WHERE seller_id = $1", seller)
        pending = [row for row in rows if row["status"] == "pending"]
        paid_out = sum(row["amount"] for row in rows if row["status"] == "paid")
        assert len(pending) <= 1
        assert balance.available >= 0 and balance.pending == 0
        assert balance.in_transit == sum(row["amount"] for row in pending)
        assert sold[seller] == balance.available + balance.in_transit + paid_out
        for row in rows:
            kinds = sorted(entry["kind"] for entry in await fetch(
                "SELECT kind FROM ledger_entry WHERE source LIKE $1", f"payout_line:{row['id']}:%"))  # fmt: skip
            expected = {"pending": ["payout_reserved"], "paid": ["payout_paid", "payout_reserved"],
                        "failed": ["payout_failed", "payout_reserved"],
                        "returned": ["payout_paid", "payout_reserved", "payout_returned"]}[row["status"]]  # fmt: skip
            assert kinds == expected, (row, kinds)


@hypothesis_settings(max_examples=15, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(ops=st.lists(OPS, min_size=1, max_size=12))
async def test_payout_histories_keep_the_books(client: httpx.AsyncClient, ops: list[tuple[str, int, int]]) -> None:
    sellers = [new_id("sel") for _ in range(SELLERS)]
    sold = dict.fromkeys(sellers, 0)
    for seller in sellers:  # every seller starts with an account it may be paid to, and something sold
        await accounts.set_account(seller, VCB, "0071000123456", "Nguyễn Văn An", actor="test", cooling_off_h=0)
        await sale(seller, 60_000)
        sold[seller] += 60_000
    for op in ops:
        await _apply(op, sellers, sold)
        await _invariants(sellers, sold)
