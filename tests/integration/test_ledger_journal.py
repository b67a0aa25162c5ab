"""The journal: entries balance, post once per source, are never rewritten, and keep the balances in step."""

from __future__ import annotations

import asyncpg
import pytest

from market.core.db import fetch, transaction
from market.ledger import accounts
from market.ledger import service as ledger
from market.ledger.checks import check
from market.ledger.service import LedgerError, Posting, credit, debit

SELLER = "sel_0000000000aaaaaaaaaaaaaaaa"
OTHER = "sel_0000000000bbbbbbbbbbbbbbbb"


def sale(amount: int, seller: str = SELLER) -> list[ledger.Line]:
    commission = amount // 10
    return [debit(accounts.CARD_CLEARING, amount), credit(accounts.COMMISSION_REVENUE, commission),
            credit(accounts.pending(seller), amount - commission)]  # fmt: skip


async def test_an_entry_posts_once_per_source_and_moves_the_balances(client) -> None:
    assert await ledger.post("evt_1:sor_1", sale(100_000), "paid", kind="sale", seller_id=SELLER)
    assert not await ledger.post("evt_1:sor_1", sale(100_000), "paid again", kind="sale", seller_id=SELLER)
    assert await ledger.post("evt_2:sor_2", sale(50_000), "paid", kind="sale", seller_id=SELLER)
    assert await ledger.seller_balance(SELLER) == ledger.SellerBalance(SELLER, pending=135_000)
    assert await ledger.account_balance(accounts.CARD_CLEARING) == 150_000
    assert await ledger.account_balance(accounts.COMMISSION_REVENUE) == 15_000
    [count] = await fetch("SELECT count(*) AS n FROM ledger_entry")
    assert count["n"] == 2
    assert await check() == []


async def test_a_batch_skips_what_was_posted_and_repeats_within_it(client) -> None:
    await ledger.post("a", sale(10_000), kind="sale")
    batch = [Posting("a", sale(10_000)), Posting("b", sale(20_000)), Posting("b", sale(20_000)),
             Posting("c", sale(30_000, OTHER))]  # fmt: skip
    assert await ledger.post_many(batch) == 2
    balances = await ledger.seller_balances([SELLER, OTHER, "sel_nobody"])
    assert balances[SELLER].pending == 27_000 and balances[OTHER].pending == 27_000
    assert balances["sel_nobody"] == ledger.SellerBalance("sel_nobody")
    assert await ledger.available_at_least(1) == []
    assert await check() == []


async def test_wrong_postings_are_refused_before_anything_is_written(client) -> None:
    with pytest.raises(LedgerError, match="sum to 1"):
        await ledger.post("x", [debit(accounts.CARD_CLEARING, 101), credit(accounts.pending(SELLER), 100)])
    with pytest.raises(LedgerError, match="not a ledger account"):
        await ledger.post("x", [debit("cash_in_my_pocket", 100), credit(accounts.pending(SELLER), 100)])
    with pytest.raises(LedgerError, match="whole đồng"):
        await ledger.post("x", [debit(accounts.CARD_CLEARING, 1.5), credit(accounts.pending(SELLER), 1.5)])  # type: ignore[arg-type]
    assert not await ledger.post("x", [debit(accounts.CARD_CLEARING, 0)])  # nothing to post
    assert await fetch("SELECT * FROM ledger_entry") == []


async def test_an_entry_names_the_one_seller_whose_money_it_moves(client) -> None:
    assert await ledger.post("named", sale(10_000))  # no seller given: the entry takes it from its lines
    [row] = await fetch("SELECT seller_id FROM ledger_entry WHERE source = 'named'")
    assert row["seller_id"] == SELLER
    two = [debit(accounts.available(SELLER), 5_000), credit(accounts.available(OTHER), 5_000)]
    with pytest.raises(LedgerError, match=f"not the money of {SELLER}"):
        await ledger.post("two sellers", two)
    with pytest.raises(LedgerError, match=f"not the money of {OTHER}"):
        await ledger.post("someone else's", sale(10_000), seller_id=OTHER)
    assert [r["source"] for r in await fetch("SELECT source FROM ledger_entry")] == ["named"]


async def test_moves_between_sellers_balances_post_like_entries_once_per_source(client) -> None:
    await ledger.post_many([Posting("s1", sale(100_000)), Posting("s2", sale(50_000, OTHER))])
    moves = [ledger.Move("r1", SELLER, 90_000), ledger.Move("r2", OTHER, 45_000), ledger.Move("r1", SELLER, 90_000)]
    assert await ledger.move_seller_money(moves, "pending", "available", kind="release", memo="released") == 2
    assert await ledger.move_seller_money(moves[:1], "pending", "available", kind="release") == 0  # once
    assert await ledger.seller_balance(SELLER) == ledger.SellerBalance(SELLER, available=90_000)
    assert await ledger.seller_balance(OTHER) == ledger.SellerBalance(OTHER, available=45_000)
    rows = await fetch("SELECT e.kind, e.memo, e.seller_id, l.account, l.amount FROM ledger_entry e "
                       "JOIN ledger_line l ON l.entry = e.id WHERE e.source = 'r1' ORDER BY l.amount")  # fmt: skip
    assert [tuple(r) for r in rows] == [
        ("release", "released", SELLER, accounts.available(SELLER), -90_000),
        ("release", "released", SELLER, accounts.pending(SELLER), 90_000),
    ]
    assert await ledger.lock_available([SELLER, OTHER, "sel_nobody"], 50_000) == [(SELLER, 90_000)]
    assert await check() == []


@pytest.mark.parametrize(
    ("move", "error"),
    [(ledger.Move("", SELLER, 1), "source"), (ledger.Move("m", SELLER, 0), "positive"),
     (ledger.Move("m", SELLER, 1.5), "positive"), (ledger.Move("m", "not a seller", 1), "not a ledger account")],  # type: ignore[arg-type]
)  # fmt: skip
async def test_wrong_moves_are_refused_before_anything_is_written(client, move: ledger.Move, error: str) -> None:
    with pytest.raises(LedgerError, match=error):
        await ledger.move_seller_money([ledger.Move("fine", SELLER, 1), move], "available", "in_transit", kind="x")
    with pytest.raises(LedgerError, match="two different balances"):
        await ledger.move_seller_money([ledger.Move("fine", SELLER, 1)], "available", "available", kind="x")
    assert await fetch("SELECT * FROM ledger_entry") == []


async def test_the_database_refuses_unbalanced_lines_and_rewrites(client) -> None:
    await ledger.post("ok", sale(10_000))
    with pytest.raises(asyncpg.CheckViolationError, match="do not sum to zero"):
        async with transaction():
            await fetch("INSERT INTO ledger_entry (id, source, kind, memo) VALUES ('lje_x', 'x', 'manual', '')")
            await fetch("INSERT INTO ledger_line (entry, account, amount, created_at) VALUES ('lje_x', 'card_clearing',"
                        " 5, now())")  # fmt: skip
    for statement in ("UPDATE ledger_line SET amount = amount * 2", "DELETE FROM ledger_entry",
                      "DELETE FROM ledger_line"):  # fmt: skip
        with pytest.raises(asyncpg.RestrictViolationError, match="append-only"):
            await fetch(statement)
    assert await check() == []


async def test_the_check_finds_a_balance_that_drifted_from_its_lines(client) -> None:
    await ledger.post("ok", sale(10_000))
    await fetch("UPDATE ledger_account SET balance = balance - 1 WHERE name = $1", accounts.pending(SELLER))
    [difference] = await check()
    assert (difference.kind, difference.subject, difference.expected, difference.found) == (
        "balance",
        accounts.pending(SELLER),
        -9_000,
        -9_001,
    )


async def test_market_ledger_check_exits_non_zero_and_names_each_difference(client) -> None:
    from tests.api.test_cod import run_cli

    await ledger.post("ok", sale(10_000))
    assert run_cli("ledger", "check").returncode == 0
    await fetch("UPDATE ledger_account SET balance = balance + 7 WHERE name = $1", accounts.CARD_CLEARING)
    failed = run_cli("ledger", "check")
    assert failed.returncode == 1
    assert "balance: card_clearing: expected 10,000, found 10,007" in failed.stdout
    assert "1 differences" in failed.stderr


async def test_a_statement_holds_the_entries_that_moved_the_sellers_money_and_no_others(client) -> None:
    from datetime import timedelta

    from market.core import clock
    from market.ledger.reads import balances_before, statement_entries

    before = clock.now()
    await ledger.post("sold", sale(100_000), kind="payment")
    # names the seller but moves only the marketplace's money (a card fee, say): not on the seller's statement
    await ledger.post("fee", [debit(accounts.COMMISSION_REVENUE, 500), credit(accounts.CARD_CLEARING, 500)],
                      kind="fee", seller_id=SELLER)  # fmt: skip
    await ledger.post("other's", sale(50_000, OTHER), kind="payment")
    after = clock.now() + timedelta(seconds=1)
    [entry] = await statement_entries(SELLER, before, after)
    assert (entry.kind, entry.pending, entry.available, entry.in_transit) == ("payment", 90_000, 0, 0)
    assert await balances_before(SELLER, after) == (90_000, 0, 0)
    assert await balances_before(SELLER, before) == (0, 0, 0)
