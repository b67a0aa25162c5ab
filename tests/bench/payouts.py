"""Payout batch benchmark: a batch for 10,000 sellers over 1,000,000 ledger entries, against the raw aggregate SQL
that computes the same sums.

    python -m tests.bench.payouts [--sellers 10000] [--entries 1000000] [--rounds 5]

It works in its own database (`market_bench_payouts`, made and migrated here) and COPYs the data in: per seller,
entries alternating a paid sale (card clearing -> pending) and its release (pending -> available), two lines each,
the accounts' maintained balances, and a bank account past its cooling-off. Then, in rounds that alternate their
order:

- B (the baseline): one raw asyncpg statement summing every seller's available lines from `ledger_line` (the
  1,000,000 entries' 2,000,000 lines, an index-free scan) joined to the cooled-off bank accounts, with the minimum:
  exactly the sellers and amounts a batch pays, computed from the entries; B with PostgreSQL's default parallel
  plan, B1 in one process (`max_parallel_workers_per_gather = 0`), as the batch's one backend works;
- P: `market.payouts.service.create_batch` as the API runs it, committed and timed with its commit: the advisory
  lock, the cooled-off bank accounts, the payable sellers' available balances (maintained totals, locked), 10,000
  lines inserted, 10,000 ledger entries (20,000 lines) posted through `move_seller_money` (one statement), the
  audit row. Between rounds (untimed) every line is failed and its money moved back to available, then VACUUM
  ANALYZE, so each round pays the same sellers the same sums from a table in steady state (rolling a round back
  instead leaves dead rows under the unique indexes that the next round's inserts must step over).

The target (issue 13) is P <= 2 x B. Figures go to stdout and `.local/bench/payouts-<time>.json`.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

BENCH_DATABASE = "market_bench_payouts"
_base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/market")
os.environ["DATABASE_URL"] = urlunsplit(urlsplit(_base)._replace(path=f"/{BENCH_DATABASE}"))

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from datetime import UTC, date, datetime, timedelta  # noqa: E402
from pathlib import Path  # noqa: E402

import asyncpg  # noqa: E402

from market.core.db import engine  # noqa: E402
from market.core.migrate import ensure_database, migrate  # noqa: E402
from market.ledger.service import Move, move_seller_money  # noqa: E402
from market.payouts.service import create_batch  # noqa: E402
from market.settings import Settings  # noqa: E402

MINIMUM = 50_000
BASELINE_SQL = """
SELECT l.seller_id, -sum(l.amount) AS available
FROM ledger_line l JOIN seller_bank_account b ON b.seller_id = l.seller_id AND b.superseded_at IS NULL
     AND b.effective_at <= $1
WHERE l.account = 'seller:' || l.seller_id || ':available'
GROUP BY l.seller_id HAVING -sum(l.amount) >= $2
ORDER BY l.seller_id
"""
TABLES = "payout_line, payout_batch, seller_bank_account, ledger_line, ledger_entry, ledger_account, audit_event"


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


async def load(connection: asyncpg.Connection, sellers: int, entries: int) -> int:
    """COPY the sellers' entries, lines, balances and bank accounts; returns the sum of available balances."""
    await connection.execute(f"TRUNCATE {TABLES} RESTART IDENTITY")
    rng = random.Random(13)
    at = datetime(2026, 11, 1, tzinfo=UTC)
    entry_rows, line_rows = [], []
    balances: dict[str, int] = {}
    per_seller = entries // sellers
    for s in range(sellers):
        seller = f"sel_bench{s:06d}"
        for n in range(0, per_seller, 2):
            amount = rng.randrange(10_000, 500_000)
            order = f"sor_bench{s:06d}{n:05d}"
            when = at + timedelta(minutes=n)
            pending, available = f"seller:{seller}:pending", f"seller:{seller}:available"
            for kind, debited, credited in (("payment", "card_clearing", pending), ("release", pending, available)):
                entry = f"lje_{kind[:3]}{s:06d}{n:06d}"
                entry_rows.append((entry, f"bench:{order}:{kind}", kind, "", seller, order, None, when))
                line_rows.append((entry, debited, None if debited == "card_clearing" else seller, amount, when))
                line_rows.append((entry, credited, seller, -amount, when))
                balances[debited] = balances.get(debited, 0) + amount
                balances[credited] = balances.get(credited, 0) - amount
    say(f"copying {len(entry_rows):,} entries and {len(line_rows):,} lines")
    await connection.copy_records_to_table("ledger_entry", records=entry_rows, columns=[
        "id", "source", "kind", "memo", "seller_id", "seller_order_id", "event_id", "created_at"])  # fmt: skip
    line_columns = ["entry", "account", "seller_id", "amount", "created_at"]
    await connection.copy_records_to_table("ledger_line", records=line_rows, columns=line_columns)
    account_rows: list[tuple[str, str | None, str, str, int, datetime]] = []
    for name, balance in balances.items():
        if name == "card_clearing":
            account_rows.append((name, None, "card_clearing", "debit", balance, at))
        else:
            _, seller, bucket = name.split(":")
            account_rows.append((name, seller, bucket, "credit", balance, at))
    account_columns = ["name", "seller_id", "kind", "normal", "balance", "updated_at"]
    await connection.copy_records_to_table("ledger_account", records=account_rows, columns=account_columns)
    await connection.copy_records_to_table("seller_bank_account", records=[
        (f"sba_bench{s:06d}", f"sel_bench{s:06d}", "970436", f"0071{s:09d}", "NGUYEN VAN AN", "bench",
         at, None, at - timedelta(days=3)) for s in range(sellers)], columns=[
        "id", "seller_id", "bank_bin", "account_number", "holder_name", "actor", "effective_at", "superseded_at",
        "created_at"])  # fmt: skip
    # The rows just COPYed have neither hint bits nor a visibility map yet, and their WAL is still to checkpoint:
    # set both now (untimed), or round 1 pays for the load (rounds 1 and 2 took 1.0 and 0.9 s, the rest 0.6).
    await connection.execute("VACUUM ANALYZE")
    await connection.execute("CHECKPOINT")
    return -sum(balance for name, balance in balances.items() if name.endswith(":available"))


async def baseline(connection: asyncpg.Connection, now: datetime, *, parallel: bool) -> tuple[float, int, int]:
    """The aggregate, with PostgreSQL's default parallel plan (B: up to 2 workers besides the leader) or in one
    process (B1: what a batch, one backend, has to work with)."""
    await connection.execute(f"SET max_parallel_workers_per_gather = {2 if parallel else 0}")
    started = time.perf_counter()
    rows = await connection.fetch(BASELINE_SQL, now, MINIMUM)
    return time.perf_counter() - started, len(rows), sum(row["available"] for row in rows)


async def batch(round_: int) -> tuple[float, int, int]:
    """One batch, committed, timed with its commit."""
    day = date(2026, 11, 1) + timedelta(days=round_)
    started = time.perf_counter()
    created, new = await create_batch(day, day, actor="bench", minimum=MINIMUM)
    elapsed = time.perf_counter() - started
    assert new, "the period's batch existed already: the round measured nothing"
    return elapsed, created.line_count, created.total


async def give_back(connection: asyncpg.Connection, round_: int) -> None:
    """Between rounds (untimed): every line of the last batch failed and its money back to available, so the next
    round pays the same sellers the same sums (the ledger grows by those entries, as it would)."""
    lines = await connection.fetch("UPDATE payout_line SET status = 'failed', failed_at = now() "
                                   "WHERE status = 'pending' RETURNING id, seller_id, amount")  # fmt: skip
    await move_seller_money([Move(f"bench:{row['id']}:failed", row["seller_id"], row["amount"]) for row in lines],
                            "in_transit", "available", kind="payout_failed")  # fmt: skip
    await connection.execute("VACUUM ANALYZE payout_line, ledger_account, ledger_entry, ledger_line")


async def main_async(sellers: int, entries: int, rounds: int, reuse: bool = False) -> dict[str, object]:
    settings = Settings.from_env()
    await ensure_database(settings.database_url)
    await migrate()
    await engine().start_connection_pool(min_size=1, max_size=4)
    connection = await asyncpg.connect(settings.database_url)
    try:
        started = time.perf_counter()
        kept = await connection.fetchval("SELECT count(*) FROM ledger_entry WHERE source LIKE 'bench:sor_%'")
        if reuse and kept == entries:
            await connection.execute("TRUNCATE payout_line, payout_batch")  # every line was given back
            expected = await connection.fetchval("SELECT -sum(balance) FROM ledger_account WHERE kind = 'available'")
        else:
            expected = await load(connection, sellers, entries)
        say(f"loaded in {time.perf_counter() - started:.1f}s; available to pay {expected:,} đ")
        now = datetime.now(UTC)
        base_times: list[float] = []
        single_times: list[float] = []
        batch_times: list[float] = []
        for round_ in range(rounds):
            order = ("B", "B1", "P") if round_ % 2 == 0 else ("P", "B1", "B")
            for which in order:
                if which.startswith("B"):
                    elapsed, count, total = await baseline(connection, now, parallel=which == "B")
                    (base_times if which == "B" else single_times).append(elapsed)
                else:
                    elapsed, count, total = await batch(round_)
                    batch_times.append(elapsed)
                    await give_back(connection, round_)
                assert (count, total) == (sellers, expected), (which, count, total)
                say(f"round {round_ + 1} {which}: {elapsed * 1000:.0f} ms ({count:,} sellers, {total:,} đ)")
        left = await connection.fetchval(
            "SELECT count(*) FROM ledger_account WHERE kind = 'in_transit' AND balance <> 0"
        )
        assert left == 0, left
    finally:
        await connection.close()
        await engine().close_connection_pool()
    result: dict[str, object] = {
        "sellers": sellers, "entries": entries, "rounds": rounds,
        "baseline_ms": [round(t * 1000, 1) for t in base_times], "batch_ms": [round(t * 1000, 1) for t in batch_times],
        "baseline_single_ms": [round(t * 1000, 1) for t in single_times],
        "baseline_median_ms": round(statistics.median(base_times) * 1000, 1),
        "baseline_single_median_ms": round(statistics.median(single_times) * 1000, 1),
        "batch_median_ms": round(statistics.median(batch_times) * 1000, 1),
    }  # fmt: skip
    result["ratio"] = round(statistics.median(batch_times) / statistics.median(base_times), 2)
    result["ratio_to_single"] = round(statistics.median(batch_times) / statistics.median(single_times), 2)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description="payout batch against the raw aggregate SQL")
    parser.add_argument("--sellers", type=int, default=10_000)
    parser.add_argument("--entries", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--reuse", action="store_true", help="keep the data of the last run (after --rounds)")
    parser.add_argument("--out", type=Path, default=Path(".local/bench"))
    args = parser.parse_args()
    result = asyncio.run(main_async(args.sellers, args.entries, args.rounds, args.reuse))
    print(json.dumps(result, indent=2))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"payouts-{datetime.now(UTC):%Y%m%dT%H%M%S}.json").write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
