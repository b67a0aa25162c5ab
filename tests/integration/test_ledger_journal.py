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
