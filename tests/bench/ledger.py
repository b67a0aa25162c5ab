"""Ledger benchmarks.

    python -m tests.bench.ledger posting [--orders 100000] [--batch 2000] [--sellers 1000]
    python -m tests.bench.ledger balance [--duration 10] [--connections 64] [--rounds 2]

`posting`: the entries of N completed seller orders (each: its payment, then its release to available) through the
real posting path — the rules compute each seller order's lines from its facts (`rules.target`,
`rules.difference`), `ledger.post_many` checks and writes them with the triggers (balanced lines, append-only),
the unique source and the maintained balances — against the same entries and lines inserted with raw asyncpg
(`INSERT ... SELECT unnest(...)`, one statement for the entries and one for the lines per batch) into twin tables
with the same columns and indexes and no trigger, no foreign key, no balance. Batches alternate between the two,
in the same run, on the same database. Goal: the real path's throughput >= 50% of raw.

`balance`: `GET /seller/v1/balance` (an API key, through the whole app) against L-balance, a bare endpoint in the
same app reading one indexed row (the seller's available account) with raw asyncpg, under wrk at 64 connections,
rounds alternating their order. Goal: p99 <= 1.5x L-balance's.

Both run against DATABASE_URL (a development database: they apply pending migrations; `posting` leaves its
entries under sources `bench:...` and drops its twin tables; `balance` needs one demo seller, from `market seed`).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from dataclasses import replace
from typing import Any

import asyncpg
from litestar import Litestar, Response, get

from market.app import create_app
from market.core.ids import new_id
from market.core.migrate import migrate
from market.ledger import accounts, rules
from market.ledger import service as ledger
from market.orders.money import MoneyFacts
from market.settings import Settings
from tests.bench.apps import raw_pool
from tests.bench.harness import TARGETS, Config, Scenario, Target, run, table

TARGETS["market_ledger"] = Target("tests.bench.ledger:ledger_bench_app")


@get("/bench/l-balance/{seller_id:str}", include_in_schema=False)
async def l_balance(seller_id: str) -> Response[bytes]:
    """L-balance: one indexed row through raw asyncpg (the seller's available account)."""
    value = await (await raw_pool()).fetchval("SELECT balance FROM ledger_account WHERE name = $1",
                                             accounts.available(seller_id))  # fmt: skip
    return Response(json.dumps({"available": -(value or 0)}).encode(), media_type="application/json")


def ledger_bench_app() -> Litestar:
    """The market app with L-balance mounted beside it."""
    return create_app(extra_route_handlers=[l_balance])


# Posting ------------------------------------------------------------------------------------------------------


def _facts(n: int, sellers: int, run_id: str) -> MoneyFacts:
    subtotal = 50_000 + (n * 7919) % 900_000
    return MoneyFacts(
        seller_order_id=f"sor_bench{run_id}{n:08d}", order_id=f"ord_bench{run_id}{n:08d}",
        seller_id=f"sel_bench{n % sellers:05d}", status="confirmed", payment_method="card", paid=True,
        subtotal=subtotal, final_subtotal=subtotal, shipping_fee=30_000, cod_collected=None, cod_remitted=None,
        returned_amount=0, commission_ppm=80_000, commission_fixed=0, tax_vat_bps=100 if n % 2 else 0,
        tax_pit_bps=50 if n % 2 else 0,
    )  # fmt: skip


def real_postings(facts: list[MoneyFacts], run_id: str) -> list[ledger.Posting]:
    """Each seller order's payment (pending) and release (available), as the rules compute them."""
    postings = []
    for paid in facts:
        first = rules.target(paid)
        postings.append(ledger.Posting(f"bench:{run_id}:{paid.seller_order_id}:paid", rules.difference(first, {}),
                                       "bench", "payment", paid.seller_id, paid.seller_order_id))  # fmt: skip
        done = rules.target(replace(paid, status="completed"))
        postings.append(ledger.Posting(f"bench:{run_id}:{paid.seller_order_id}:done",
                                       rules.difference(done, first), "bench", "release", paid.seller_id,
                                       paid.seller_order_id))  # fmt: skip
    return postings


TWINS = [
    "DROP TABLE IF EXISTS bench_ledger_line, bench_ledger_entry",
    "CREATE TABLE bench_ledger_entry (LIKE ledger_entry INCLUDING DEFAULTS INCLUDING INDEXES)",
    "CREATE TABLE bench_ledger_line (LIKE ledger_line INCLUDING DEFAULTS INCLUDING INDEXES)",
    # as large as the real tables when the run starts, so that both sides insert into indexes of the same size
    "INSERT INTO bench_ledger_entry SELECT * FROM ledger_entry",
    "INSERT INTO bench_ledger_line SELECT * FROM ledger_line",
    "ANALYZE bench_ledger_entry, bench_ledger_line",
]
RAW_ENTRIES = """
INSERT INTO bench_ledger_entry (id, source, kind, memo, seller_id, seller_order_id, event_id, created_at)
SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::text[], $5::varchar[], $6::varchar[],
                     $7::varchar[], $8::timestamptz[])
"""
RAW_LINES = """
INSERT INTO bench_ledger_line (entry, account, seller_id, amount, created_at)
SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::bigint[], $5::timestamptz[])
"""


def raw_rows(postings: list[ledger.Posting]) -> tuple[list[list[Any]], list[list[Any]]]:
    from market.core import clock

    now = clock.now()
    entries: list[list[Any]] = [[] for _ in range(8)]
    lines: list[list[Any]] = [[] for _ in range(5)]
    for posting in postings:
        entry_id = new_id("lje")
        for column, value in zip(entries, (entry_id, posting.source, posting.kind, posting.memo, posting.seller_id,
                                           posting.seller_order_id, None, now), strict=True):  # fmt: skip
            column.append(value)
        for line in posting.lines:
            for cells, cell in zip(lines, (entry_id, line.account, accounts.describe(line.account)[0], line.amount,
                                           now), strict=True):  # fmt: skip
                cells.append(cell)
    return entries, lines


async def posting_bench(orders: int, batch: int, sellers: int) -> dict[str, Any]:
    settings = Settings.from_env()
    await migrate()
    from market.core.db import engine

    await engine().start_connection_pool(min_size=1, max_size=4)
    raw = await asyncpg.connect(settings.database_url)
    try:
        for statement in TWINS:
            await raw.execute(statement)
        before = await raw.fetchval("SELECT count(*) FROM ledger_line")
        run_id = new_id("r")[-6:]
        real_s = raw_s = 0.0
        lines = entries = 0
        for start in range(0, orders, batch):
            facts = [_facts(n, sellers, run_id) for n in range(start, min(start + batch, orders))]
            rows = raw_rows(real_postings(facts, f"raw{run_id}"))  # the raw side gets its rows ready-made
            order = ("real", "raw") if (start // batch) % 2 == 0 else ("raw", "real")
            for side in order:
                began = time.perf_counter()
                if side == "real":  # the rules, the checks, the statement with its triggers and balances
                    posted = await ledger.post_many(real_postings(facts, run_id))
                    real_s += time.perf_counter() - began
                    assert posted == 2 * len(facts), posted
                else:
                    async with raw.transaction():
                        await raw.execute(RAW_ENTRIES, *rows[0])
                        await raw.execute(RAW_LINES, *rows[1])
                    raw_s += time.perf_counter() - began
            entries += len(rows[0][0])
            lines += len(rows[1][0])
        for statement in TWINS[:1]:
            await raw.execute(statement)
    finally:
        await raw.close()
        await engine().close_connection_pool()
    result = {
        "lines_before": before, "orders": orders, "entries": entries, "lines": lines, "batch_orders": batch,
        "real_s": round(real_s, 2), "raw_s": round(raw_s, 2),
        "real_lines_per_s": round(lines / real_s), "raw_lines_per_s": round(lines / raw_s),
        "throughput_vs_raw": round(raw_s / real_s, 3),
    }  # fmt: skip
    return result


# Balance -----------------------------------------------------------------------------------------------------


async def balance_context() -> dict[str, str]:
    """A demo seller with an API key that reads money, and a posted balance."""
    settings = Settings.from_env()
    await migrate()
    from market.core.db import engine
    from market.sellers.service import create_api_key

    await engine().start_connection_pool(min_size=1, max_size=2)
    try:
        from market.core.db import fetch

        rows = await fetch("SELECT id FROM seller WHERE status = 'approved' ORDER BY id LIMIT 1")
        if not rows:
            raise SystemExit("no approved seller: run `market seed` on this database first")
        seller_id = rows[0]["id"]
        _, secret = await create_api_key(seller_id, "bench balance", ["money:read"])
        await ledger.post(f"bench:balance:{seller_id}", [ledger.debit(accounts.BANK_CLEARING, 1),
                                                         ledger.credit(accounts.available(seller_id), 1)],
                          "bench", kind="manual", seller_id=seller_id)  # fmt: skip
    finally:
        await engine().close_connection_pool()
    del settings
    return {"seller_id": seller_id, "key": secret}


def balance_scenarios(rounds: int) -> list[Scenario]:
    auth = (("Authorization", "Bearer {key}"),)
    scenarios = [Scenario("B0", "b0", "/")]
    for n in range(rounds):
        pair = [Scenario(f"L-balance-{n}", "market_ledger", "/bench/l-balance/{seller_id}"),
                Scenario(f"balance-{n}", "market_ledger", "/seller/v1/balance", headers=auth,
                         baseline=f"L-balance-{n}")]  # fmt: skip
        scenarios += pair if n % 2 == 0 else pair[::-1]
    return scenarios


def main() -> None:
    parser = argparse.ArgumentParser(description="ledger benchmarks")
    sub = parser.add_subparsers(dest="which", required=True)
    posting = sub.add_parser("posting")
    posting.add_argument("--orders", type=int, default=100_000)
    posting.add_argument("--batch", type=int, default=2_000)
    posting.add_argument("--sellers", type=int, default=1_000)
    balance = sub.add_parser("balance")
    balance.add_argument("--duration", type=int, default=10)
    balance.add_argument("--connections", type=int, default=64)
    balance.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    if args.which == "posting":
        print(json.dumps(asyncio.run(posting_bench(args.orders, args.batch, args.sellers)), indent=2))
        return
    context = asyncio.run(balance_context())
    config = Config(duration_s=args.duration, connections=args.connections)
    results = run(balance_scenarios(args.rounds), config, context)
    print(table(results))
    print(f"(results in {config.out_dir}/latest.json)", file=sys.stderr)


if __name__ == "__main__":
    main()
