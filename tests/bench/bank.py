"""Bank transfer benchmarks, in the checkout benchmark's database:

    python -m tests.bench.bank [--duration 10] [--rounds 2] [--webhooks 10000] [--connections 32]

1. checkout throughput under wrk, bank_transfer against cash on delivery, in the same server and run, in rounds
   that alternate their order (the QR payload and the payment row are the difference);
2. `--webhooks` SePay webhooks (a quarter of them repeats of another, 5% matching no order, shuffled) posted over
   `--connections` connections to the real `/webhooks/banks/sepay` (authenticated, stored once, matched: each
   matched order paid), against the same bodies posted to a bare endpoint of the same server that inserts the
   same rows with raw asyncpg (`INSERT ... ON CONFLICT DO NOTHING`), and against the same rows inserted by raw
   asyncpg from this process (no HTTP at all). Then every order is checked: paid exactly once.

Not a pass/fail test; figures go to stdout and `.local/bench/bank-<time>.json`.
"""

from __future__ import annotations

import os

import tests.bench.checkout as checkout_bench  # sets the benchmark database and Redis prefix first

# A database of its own (the checkout benchmark's, with bank transfers' migrations, could be another branch's).
os.environ["DATABASE_URL"] = os.environ["DATABASE_URL"].replace(checkout_bench.BENCH_DATABASE, "market_bench_bank")
os.environ["REDIS_KEY_PREFIX"] = "bench-bank:"
os.environ.setdefault("BANK_ACCOUNT", "0071000888888")
os.environ.setdefault("BANK_FEED_API_KEY", "bench-bank-feed-key")
os.environ.setdefault("BANK_FEED_API_TOKEN", "bench-bank-feed-token")

import argparse
import asyncio
import json
import random
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from market.banking.reference import reference_of
from market.settings import Settings
from tests.bench.harness import TARGETS, Config, Scenario, Server, Target, run, table

TARGETS["market_bank"] = Target("tests.bench.bank_app:bank_bench_app")
say = checkout_bench.say

ORDERS_SQL = """
WITH made AS (SELECT * FROM unnest($1::varchar[], $2::varchar[]) AS m(order_id, reference)),
o AS (
    INSERT INTO orders (id, account_id, guest_cart_id, email, phone, shipping_address, payment_method, payment_status,
                        currency, subtotal, shipping_fee, total, paid_amount, reserved_until, created_at, updated_at)
    SELECT order_id, NULL, NULL, NULL, '+84912345678', $3::jsonb, 'bank_transfer', 'pending', 'VND', 90000, 38000,
           128000, 0, now() + interval '1 day', now(), now() FROM made
),
so AS (
    INSERT INTO seller_order (id, order_id, seller, status, payment_method, subtotal, final_subtotal, shipping_fee,
                              shipping_zone, shipping_service, transit_days, total, cod_amount, weight_g,
                              origin_province_code, destination_province_code, version, created_at, updated_at)
    SELECT 'sorbk' || substr(order_id, 6), order_id, $4, 'pending_payment', 'bank_transfer', 90000, NULL, 38000,
           'national', 'BUU_KIEN', 5, 128000, 0, 2400, 80, 1, 1, now(), now() FROM made
)
INSERT INTO payment (id, order_id, method, provider, provider_ref, client_secret, status, currency, amount,
                     amount_received, amount_refunded, created_at, updated_at)
SELECT 'paybk' || substr(order_id, 6), order_id, 'bank_transfer', 'vietqr', reference, NULL, 'pending', 'VND', 128000,
       0, 0, now(), now() FROM made
"""
ADDRESS = {"recipient_name": "Bench", "phone": "+84912345678", "street": "1 Hàng Bạc", "ward_code": 70,
           "province_code": 1, "units_version": "bench"}  # fmt: skip


async def clean(connection: asyncpg.Connection) -> None:
    await connection.execute("DELETE FROM bank_credit")
    await connection.execute("TRUNCATE bench_bank_credit")
    await connection.execute("DELETE FROM outbox_event WHERE type LIKE 'bank_credit.%' OR payload->>'order_id' LIKE "
                             "'ordbk%'")  # fmt: skip
    await connection.execute("DELETE FROM seller_order_transition WHERE seller_order LIKE 'sorbk%'")
    await connection.execute("DELETE FROM payment WHERE id LIKE 'paybk%'")
    await connection.execute("DELETE FROM seller_order WHERE id LIKE 'sorbk%'")
    await connection.execute("DELETE FROM orders WHERE id LIKE 'ordbk%'")


async def prepare_webhooks(settings: Settings, count: int, seed: int = 7) -> list[bytes]:
    """Pending bank transfer orders and the webhook bodies that pay them: 25% repeats, 5% unmatched, shuffled."""
    rng = random.Random(seed)
    repeats, unmatched = count // 4, count // 20
    matched = count - repeats - unmatched
    order_ids = [f"ordbk_{n:026d}" for n in range(matched)]
    connection = await asyncpg.connect(settings.database_url)
    try:
        await connection.execute("CREATE TABLE IF NOT EXISTS bench_bank_credit (LIKE bank_credit INCLUDING ALL)")
        await clean(connection)
        await connection.execute(ORDERS_SQL, order_ids, [reference_of(o, settings.bank_reference_prefix)
                                                         for o in order_ids], json.dumps(ADDRESS),
                                 checkout_bench.SELLERS[0])  # fmt: skip
        await connection.execute("VACUUM ANALYZE orders, seller_order, payment, bank_credit")
    finally:
        await connection.close()
    bodies = [{"id": 5_000_000 + n, "gateway": "Vietcombank", "transactionDate": "2026-12-02 10:00:00",
               "accountNumber": settings.bank_account, "code": None,
               "content": f"MBVCB.{n}.{reference_of(o, settings.bank_reference_prefix)}.CT tu 0123 NGUYEN VAN A",
               "transferType": "in", "transferAmount": 128000, "accumulated": 0, "subAccount": None,
               "referenceCode": f"FT{n:010d}", "description": ""} for n, o in enumerate(order_ids)]  # fmt: skip
    bodies += [{**bodies[0], "id": 9_000_000 + n, "content": f"chuyen tien {n}", "referenceCode": f"FX{n:010d}"}
               for n in range(unmatched)]  # fmt: skip
    unique = list(bodies)
    bodies += [rng.choice(unique) for _ in range(repeats)]
    rng.shuffle(bodies)
    return [json.dumps(body).encode() for body in bodies]


async def post_all(base_url: str, path: str, bodies: list[bytes], connections: int, key: str) -> dict[str, Any]:
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)
    statuses: dict[int, int] = {}
    headers = {"Content-Type": "application/json", "Authorization": f"Apikey {key}"}
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    async with httpx.AsyncClient(base_url=base_url, timeout=60, limits=limits) as client:

        async def worker() -> None:
            while not queue.empty():
                body = queue.get_nowait()
                answer = await client.post(path, content=body, headers=headers)
                statuses[answer.status_code] = statuses.get(answer.status_code, 0) + 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(connections)))
        took = time.perf_counter() - started
    return {"path": path, "seconds": round(took, 3), "rps": round(len(bodies) / took, 1), "statuses": statuses}


async def raw_direct(settings: Settings, bodies: list[bytes], connections: int) -> dict[str, Any]:
    """The same rows inserted by raw asyncpg from this process, one statement each, over `connections` connections."""
    from tests.bench.bank_app import RAW_INSERT_SQL, raw_args

    pool = await asyncpg.create_pool(settings.database_url, min_size=connections, max_size=connections)
    await pool.execute("TRUNCATE bench_bank_credit")
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def worker() -> None:
        while not queue.empty():
            body = queue.get_nowait()
            await pool.execute(RAW_INSERT_SQL, *raw_args(json.loads(body)))

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(connections)))
    took = time.perf_counter() - started
    await pool.close()
    return {"path": "(asyncpg, no HTTP)", "seconds": round(took, 3), "rps": round(len(bodies) / took, 1)}


async def audit(settings: Settings) -> dict[str, Any]:
    connection = await asyncpg.connect(settings.database_url)
    try:
        paid = await connection.fetchval("SELECT count(*) FROM orders WHERE id LIKE 'ordbk%' AND payment_status = "
                                         "'paid'")  # fmt: skip
        pending = await connection.fetchval("SELECT count(*) FROM orders WHERE id LIKE 'ordbk%' AND payment_status = "
                                            "'pending'")  # fmt: skip
        paid_events = await connection.fetchval(
            "SELECT count(*) - count(DISTINCT payload->>'order_id') FROM outbox_event "
            "WHERE type = 'order.paid' AND payload->>'order_id' LIKE 'ordbk%'"
        )
        outcomes = dict(await connection.fetch("SELECT outcome, count(*) FROM bank_credit GROUP BY outcome"))
        over = await connection.fetchval("SELECT count(*) FROM payment WHERE id LIKE 'paybk%' AND amount_received <> "
                                         "amount")  # fmt: skip
    finally:
        await connection.close()
    return {"orders_paid": paid, "orders_pending": pending, "orders_paid_twice": paid_events,
            "payments_not_exact": over, "credits": outcomes}  # fmt: skip


async def webhooks(settings: Settings, count: int, connections: int, out: Path) -> dict[str, Any]:
    bodies = await prepare_webhooks(settings, count)
    say(f"webhooks: {len(bodies):,} bodies ({len(set(bodies)):,} distinct) over {connections} connections")
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    key = settings.bank_feed_api_key or ""
    with Server("market_bank", 1, out / f"{stamp}-bank.log") as server:
        await post_all(server.base_url, "/bench/l-bank-insert", bodies[:500], connections, key)  # warm both up
        await post_all(server.base_url, "/webhooks/banks/sepay", bodies[:1], 1, key)
        raw_http = await post_all(server.base_url, "/bench/l-bank-insert", bodies, connections, key)
        market = await post_all(server.base_url, "/webhooks/banks/sepay", bodies, connections, key)
    direct = await raw_direct(settings, bodies, connections)
    found = {"webhooks": len(bodies), "market": market, "l_bank_insert_http": raw_http, "asyncpg_direct": direct,
             "vs_l_bank_insert": round(market["rps"] / raw_http["rps"], 3),
             "vs_asyncpg_direct": round(market["rps"] / direct["rps"], 3), "audit": await audit(settings)}  # fmt: skip
    return found


def checkout_scenarios(config: Config, carts: int, rounds: int, settings: Settings) -> list[Scenario]:
    tokens = asyncio.run(checkout_bench.make_carts(settings, carts, checkout_bench._tp_lines))
    path = config.out_dir / "lua" / "bank-checkout-tokens.lua"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("return {" + ",".join(json.dumps(token) for token in tokens) + "}\n")
    offset = path.with_name("bank-checkout-offset.txt")
    offset.write_text("0\n")
    lua = checkout_bench.CHECKOUT_LUA.format(tokens=path.resolve(), offset=offset.resolve(), threads=config.threads)
    bank = json.dumps({**checkout_bench.BODY, "payment_method": "bank_transfer"})
    scenarios = []
    for round_ in range(1, rounds + 1):
        suffix = "" if round_ == 1 else f"-{round_}"
        pair = [Scenario(f"checkout-cod{suffix}", "market_bank", "/api/v1/checkout", method="POST",
                         body=json.dumps(checkout_bench.BODY), lua=lua),
                Scenario(f"checkout-bank{suffix}", "market_bank", "/api/v1/checkout", method="POST", body=bank,
                         lua=lua, baseline=f"checkout-cod{suffix}")]  # fmt: skip
        scenarios += pair if round_ % 2 else pair[::-1]
    return scenarios


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--throughput-connections", type=int, default=64)
    parser.add_argument("--webhooks", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--skip", default="", help="comma-separated: checkout,webhooks")
    parser.add_argument("--out", type=Path, default=Path(".local/bench"))
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    settings = Settings.from_env()
    asyncio.run(checkout_bench.prepare(settings))
    report: dict[str, Any] = {"started_at": datetime.now(UTC).isoformat(), "cores": os.cpu_count()}
    if "checkout" not in skip:
        asyncio.run(checkout_bench.reset(settings))
        config = Config(args.duration, args.throughput_connections, 2, 1, args.out, warmup_s=4)
        carts = (args.duration + 4) * args.rounds * 2 * 1_500 + args.rounds * 4 * 4_000
        results = run(checkout_scenarios(config, carts, args.rounds, settings), config,
                      between=lambda: asyncio.run(checkout_bench.vacuum(settings)))  # fmt: skip
        print(table(results))
        by_name = {result.name: result for result in results}
        report["checkout"] = [vars(result) for result in results]
        report["checkout_ratios"] = [
            round(by_name[f"checkout-bank{s}"].rps / by_name[f"checkout-cod{s}"].rps, 3)
            for s in [""] + [f"-{r}" for r in range(2, args.rounds + 1)]
        ]
        print(f"bank_transfer / cod checkout throughput per round: {report['checkout_ratios']}")
    if "webhooks" not in skip:
        report["webhooks"] = asyncio.run(webhooks(settings, args.webhooks, args.connections, args.out))
        print(json.dumps(report["webhooks"], indent=2))
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (args.out / f"bank-{stamp}.json").write_text(json.dumps(report, indent=2, default=str))
    print(f"(results in {args.out}/bank-{stamp}.json)")


if __name__ == "__main__":
    main()
