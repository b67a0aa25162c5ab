"""Checkout benchmark: overselling under contention, one Idempotency-Key at once, throughput against L-reserve.

    python -m tests.bench.checkout [--attempts 10000] [--connections 200] [--duration 10] [--workers 1]

It works in its own database (`market_bench_checkout`, made and migrated here) and Redis key prefix, serves the
real app with granian, and runs:

1. `--attempts` checkouts over `--connections` concurrent connections, each from its own guest cart holding one
   unit of a variant with 50 units: it counts orders, reserved stock, statuses and deadlocks;
2. the same with three-variant carts (the lines in random order) that all share three hot variants of 50 units;
3. one Idempotency-Key sent 1,000 times at once (1,000 connections): the orders it made;
3b. a freshly started server's first 200 checkouts one after another, then 200 L-checkouts, timed (what the
   first buyers get, before connections, statements and quote caches are warm);
4. throughput without contention under wrk: checkouts of three-line carts from two sellers (each request its own
   cart, lines spread over 600 variants with stock that never runs out) against L-checkout, a bare endpoint doing
   exactly checkout's round trips with raw drivers (HGETALL the cart, the read-and-price statement, the
   reserve-and-write statement, DEL the cart), and L-reserve, one conditional `UPDATE ... RETURNING` through raw
   asyncpg, in the same server and run, in rounds that alternate their order.

Figures go to stdout and `.local/bench/checkout-<time>.json`. Not a pass/fail test.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

BENCH_DATABASE = "market_bench_checkout"
_base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/market")
os.environ["DATABASE_URL"] = urlunsplit(urlsplit(_base)._replace(path=f"/{BENCH_DATABASE}"))
os.environ["REDIS_KEY_PREFIX"] = "bench-checkout:"
os.environ["LOG_ACCESS"] = os.environ.get("BENCH_LOG_ACCESS", "false")
os.environ["GUEST_CHECKOUTS_PER_ADDRESS"] = "10000000"  # every guest of the benchmark comes from 127.0.0.1

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402
from collections.abc import Callable  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import asyncpg  # noqa: E402
import httpx  # noqa: E402
from redis.asyncio import Redis  # noqa: E402

from market.cart.store import Bounds, CartRef, CartStore  # noqa: E402
from market.cart.tokens import new_guest_cart  # noqa: E402
from market.catalog.categories import seed_categories  # noqa: E402
from market.core.db import engine  # noqa: E402
from market.core.migrate import ensure_database, migrate  # noqa: E402
from market.settings import Settings  # noqa: E402
from tests.bench.apps import TP_PREFIX  # noqa: E402
from tests.bench.harness import TARGETS, Config, Scenario, Server, Target, run, table  # noqa: E402
from tests.bench.rows import ensure_product, ensure_seller, ensure_variants, first_category  # noqa: E402

TARGETS["market_checkout"] = Target("tests.bench.apps:market_bench_app")
SELLERS = ("sel_0000000000benchcheckout01", "sel_0000000000benchcheckout02")
HOT = "var_0000000000benchhot0000000"
HOT3 = [f"var_0000000000benchhot3000{n:03d}" for n in range(3)]
TP_PER_SELLER = 300
HOT_UNITS = 50
PRICE = 45_000
TABLES = "orders, seller_order, order_line, seller_order_transition, outbox_event, idempotency_key"
BODY = {"payment_method": "cod", "contact": {"phone": "0912345678", "email": "bench@example.vn"},
        "shipping_address": {"recipient_name": "Bench", "phone": "0912345678", "street": "1 Hàng Bạc",
                             "ward_code": 70, "province_code": 1}}  # fmt: skip


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def tp_variant(seller: int, n: int) -> str:
    return f"{TP_PREFIX}{seller}{n:05d}"


async def prepare(settings: Settings) -> None:
    """The database, migrated, with the benchmark's sellers, products and variants (stock restored)."""
    await ensure_database(settings.database_url)
    await migrate()
    await seed_categories()
    await engine().close_connection_pool() if engine().pool else None
    connection = await asyncpg.connect(settings.database_url)
    try:
        category = await first_category(connection)
        assert category is not None
        async with connection.transaction():
            for index, seller in enumerate(SELLERS):
                product = f"prd_0000000000benchcheckout0{index}"
                await ensure_seller(connection, seller, f"bench-checkout-{index}")
                await ensure_product(connection, product, seller, category, f"Mãng cầu (bench {index})",
                                     f"bench-checkout-{index}")  # fmt: skip
                tp = [(tp_variant(index, n), 1_000_000_000) for n in range(TP_PER_SELLER)]
                hot = [(HOT, HOT_UNITS), *((variant, HOT_UNITS) for variant in HOT3)] if index == 0 else []
                await ensure_variants(connection, product, seller, tp + hot, PRICE)
    finally:
        await connection.close()


async def reset(settings: Settings) -> None:
    """No orders, keys or events; hot stock back to 50 units, nothing reserved."""
    connection = await asyncpg.connect(settings.database_url)
    try:
        await connection.execute(f"TRUNCATE {TABLES}")
        await connection.execute("UPDATE stock_level SET reserved = 0, on_hand = CASE WHEN variant_id = ANY($1) "
                                 "THEN $2 ELSE on_hand END", [HOT, *HOT3], HOT_UNITS)  # fmt: skip
    finally:
        await connection.close()


async def make_carts(
    settings: Settings, count: int, lines: Callable[[random.Random], list[tuple[str, int]]]
) -> list[str]:
    """`count` guest carts written through the cart store; returns their tokens."""
    redis = Redis.from_url(settings.redis_url, decode_responses=True)
    store = CartStore(redis, settings.redis_key_prefix)
    rng = random.Random(count)
    tokens: list[str] = []

    async def one() -> None:
        cart_id, token = new_guest_cart(settings.secret_key)
        for variant, quantity in lines(rng):
            await store.change(CartRef(cart_id, customer=False), variant, "add", quantity, PRICE,
                               Bounds(1, 0, 1_000_000_000))  # fmt: skip
        tokens.append(token)

    for start in range(0, count, 500):
        await asyncio.gather(*(one() for _ in range(min(500, count - start))))
        if start and start % 5000 == 0:
            say(f"  {start:,} / {count:,} carts")
    await redis.aclose()
    return tokens


async def attempt_all(base_url: str, requests: list[tuple[str, str]], connections: int) -> dict[str, Any]:
    """POST one checkout per (cart token, key) over `connections` connections; statuses and codes counted."""
    outcomes: Counter[str] = Counter()
    semaphore = asyncio.Semaphore(connections)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120) as client:

        async def one(token: str, key: str) -> None:
            async with semaphore:
                try:
                    response = await client.post("/api/v1/checkout", json=BODY,
                                                 headers={"Cart-Token": token, "Idempotency-Key": key})  # fmt: skip
                except httpx.HTTPError as exc:
                    outcomes[f"transport:{type(exc).__name__}"] += 1
                    return
                code = response.json().get("code", "") if response.status_code >= 400 else ""
                outcomes[f"{response.status_code} {code}".strip()] += 1

        await asyncio.gather(*(one(token, key) for token, key in requests))
    return {"seconds": round(time.monotonic() - started, 2), "outcomes": dict(outcomes)}


async def audit(settings: Settings, variants: list[str], deadlocks_before: int) -> dict[str, Any]:
    connection = await asyncpg.connect(settings.database_url)
    try:
        stock = await connection.fetch(
            "SELECT variant_id, on_hand, reserved FROM stock_level WHERE variant_id = ANY($1) ORDER BY 1", variants
        )
        ordered = await connection.fetch(
            "SELECT variant_id, sum(quantity)::int AS units FROM order_line WHERE variant_id = ANY($1) GROUP BY 1",
            variants,
        )
        return {
            "orders": await connection.fetchval("SELECT count(*) FROM orders"),
            "stock": {row["variant_id"]: {"on_hand": row["on_hand"], "reserved": row["reserved"]} for row in stock},
            "units_ordered": {row["variant_id"]: row["units"] for row in ordered},
            "deadlocks": await deadlocks(connection) - deadlocks_before,
        }
    finally:
        await connection.close()


async def deadlocks(connection: asyncpg.Connection | None = None, url: str | None = None) -> int:
    own = connection or await asyncpg.connect(url)
    try:
        return int(await own.fetchval("SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"))
    finally:
        if connection is None:
            await own.close()


async def contention(settings: Settings, base_url: str, attempts: int, connections: int, shape: str) -> dict:
    await reset(settings)
    if shape == "one_variant":
        say(f"{shape}: {attempts:,} guest carts of one unit of a variant with {HOT_UNITS} units")
        tokens = await make_carts(settings, attempts, lambda rng: [(HOT, 1)])
        variants = [HOT]
    else:
        say(f"{shape}: {attempts:,} guest carts of three hot variants ({HOT_UNITS} units each), lines shuffled")
        tokens = await make_carts(settings, attempts, lambda rng: [(v, 1) for v in rng.sample(HOT3, 3)])
        variants = HOT3
    before = await deadlocks(url=settings.database_url)
    say(f"{shape}: {attempts:,} checkouts over {connections} connections")
    result = await attempt_all(base_url, [(token, str(uuid.uuid4())) for token in tokens], connections)
    return {"shape": shape, "attempts": attempts, "connections": connections, **result,
            **await audit(settings, variants, before)}  # fmt: skip


async def same_key(settings: Settings, base_url: str, times: int) -> dict:
    await reset(settings)
    (token,) = await make_carts(settings, 1, lambda rng: [(HOT, 2)])
    say(f"one Idempotency-Key sent {times:,} times at once")
    result = await attempt_all(base_url, [(token, "bench-same-key")] * times, times)
    return {"times": times, **result, **await audit(settings, [HOT], 0)}


# Each request takes the next cart; a run starts where the last one stopped (the offset file), so that the warm-up
# and the measured runs never share a cart or a key. The main state reads the offset into `first` and hands it to
# each thread as its global `base`: a chunk-level `local base` would shadow that global in the threads (each runs
# the whole script), and every run would start again at the first cart, whose checkouts then only replay.
CHECKOUT_LUA = """
local tokens = dofile("{tokens}")
local offset_file = "{offset}"
local threads, first = 0, 0
function setup(thread)
  if threads == 0 then
    local f = io.open(offset_file, "r")
    if f then first = tonumber(f:read("*l")) or 0; f:close() end
  end
  thread:set("tid", threads); thread:set("base", first); threads = threads + 1
end
function init(args) i = base + tid end
function request()
  i = i + {threads}
  local token = tokens[(i % #tokens) + 1]
  return wrk.format("POST", nil, {{["Content-Type"] = "application/json", ["Cart-Token"] = token,
                                  ["Idempotency-Key"] = "tp-" .. i}}, wrk.body)
end
function done(summary, latency, requests)
  local f = io.open(offset_file, "w"); f:write(tostring(first + summary.requests + 4000)); f:close()
end
"""


async def throughput_scenarios(settings: Settings, config: Config, carts: int, rounds: int) -> list[Scenario]:
    await reset(settings)
    say(f"throughput: {carts:,} guest carts of three lines from two sellers over {2 * TP_PER_SELLER} variants")

    tokens = await make_carts(settings, carts, _tp_lines)
    path = config.out_dir / "lua" / "checkout-tokens.lua"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("return {" + ",".join(json.dumps(token) for token in tokens) + "}\n")
    offset = path.with_name("checkout-offset.txt")
    offset.write_text("0\n")
    lua = CHECKOUT_LUA.format(tokens=path.resolve(), offset=offset.resolve(), threads=config.threads)
    scenarios = []
    for round_ in range(1, rounds + 1):  # the order alternates: a disk's fsync latency drifts during a run
        suffix = "" if round_ == 1 else f"-{round_}"
        trio = [
            Scenario(f"L-reserve{suffix}", "market_checkout", "/bench/l-reserve", method="POST"),
            Scenario(f"L-checkout{suffix}", "market_checkout", "/bench/l-checkout", method="POST",
                     body=json.dumps(BODY), lua=lua),
            Scenario(f"checkout{suffix}", "market_checkout", "/api/v1/checkout", method="POST", body=json.dumps(BODY),
                     lua=lua, baseline=f"L-checkout{suffix}"),
        ]  # fmt: skip
        scenarios += trio if round_ % 2 else trio[::-1]
    return scenarios


def _tp_lines(rng: random.Random) -> list[tuple[str, int]]:
    """Three lines from two sellers, spread over the throughput variants."""
    first = rng.sample(range(TP_PER_SELLER), 2)
    return [(tp_variant(0, first[0]), 1), (tp_variant(0, first[1]), 2), (tp_variant(1, rng.randrange(300)), 1)]


async def cold_start(settings: Settings, base_url: str, count: int) -> dict[str, Any]:
    """What the first buyers of a freshly started server get: `count` checkouts one after another, then as many
    L-checkouts, each timed; medians of the first, the next 9, the next 40 and the rest."""
    tokens = await make_carts(settings, 2 * count, _tp_lines)
    found: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        for name, path, batch in (("checkout", "/api/v1/checkout", tokens[:count]),
                                  ("L-checkout", "/bench/l-checkout", tokens[count:])):  # fmt: skip
            took = []
            for token in batch:
                started = time.perf_counter()
                response = await client.post(
                    path, json=BODY, headers={"Cart-Token": token, "Idempotency-Key": str(uuid.uuid4())}
                )
                took.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 201, response.text
            found[name] = {f"{a + 1}-{b}": round(sorted(took[a:b])[(b - a) // 2], 2)
                           for a, b in ((0, 1), (1, 10), (10, 50), (50, count))}  # fmt: skip
    return found


async def vacuum(settings: Settings) -> None:
    """Before each throughput scenario: clean what the previous one left (dead row versions of the stock rows it
    updated thousands of times), so that neither pays for the other."""
    connection = await asyncpg.connect(settings.database_url)
    try:
        await connection.execute("VACUUM ANALYZE stock_level, orders, seller_order, order_line, outbox_event")
    finally:
        await connection.close()


def ratios(results: list[Any]) -> list[dict[str, Any]]:
    """Per round: checkout's throughput against L-checkout's (and its p99 against L-checkout's) and L-reserve's."""
    by_name = {result.name: result for result in results}
    found = []
    for round_ in range(1, len([r for r in results if r.name.startswith("checkout")]) + 1):
        suffix = "" if round_ == 1 else f"-{round_}"
        checkout, full, reserve = (by_name[f"{name}{suffix}"] for name in ("checkout", "L-checkout", "L-reserve"))
        found.append({
            "round": round_, "checkout_rps": checkout.rps, "checkout_p99_ms": checkout.p99_ms,
            "vs_l_checkout": round(checkout.rps / full.rps, 3) if full.rps else None,
            "p99_vs_l_checkout": round(checkout.p99_ms / full.p99_ms, 2) if full.p99_ms else None,
            "vs_l_reserve": round(checkout.rps / reserve.rps, 3) if reserve.rps else None,
        })  # fmt: skip
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--same-key", type=int, default=1_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds of each throughput scenario")
    parser.add_argument("--throughput-connections", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=2, help="throughput rounds, alternating which goes first")
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--skip", default="", help="comma-separated: contention,same_key,cold_start,throughput")
    parser.add_argument("--out", type=Path, default=Path(".local/bench"))
    args = parser.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    settings = Settings.from_env()
    asyncio.run(prepare(settings))
    report: dict[str, Any] = {"started_at": datetime.now(UTC).isoformat(), "cores": os.cpu_count()}
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    if not {"contention", "same_key"} <= skip:
        with Server("market_checkout", args.workers, args.out / f"{stamp}-checkout.log") as server:
            if "contention" not in skip:
                report["contention"] = [
                    asyncio.run(contention(settings, server.base_url, args.attempts, args.connections, shape))
                    for shape in ("one_variant", "three_hot_variants")
                ]
            if "same_key" not in skip:
                report["same_key"] = asyncio.run(same_key(settings, server.base_url, args.same_key))
    if "cold_start" not in skip:
        with Server("market_checkout", args.workers, args.out / f"{stamp}-cold.log") as server:
            report["cold_start_ms"] = asyncio.run(cold_start(settings, server.base_url, 200))
    if "throughput" not in skip:
        # A longer warm-up: each of the pool's connections prepares the checkout's statement once.
        config = Config(args.duration, args.throughput_connections, 2, args.workers, args.out, warmup_s=4)
        # checkout and L-checkout take a cart per request, and each wrk run (warm-up, measure) skips 4,000 more
        carts = (args.duration + 4) * args.rounds * 2 * 1_500 + args.rounds * 4 * 4_000
        scenarios = asyncio.run(throughput_scenarios(settings, config, carts, args.rounds))
        results = run(scenarios, config, between=lambda: asyncio.run(vacuum(settings)))
        report["throughput"] = [vars(result) for result in results]
        report["ratios"] = ratios(results)
        print(table(results))
        for line in report["ratios"]:
            vs_full, p99, vs_reserve = line["vs_l_checkout"], line["p99_vs_l_checkout"], line["vs_l_reserve"]
            print(f"round {line['round']}: checkout / L-checkout {vs_full} (p99 x{p99}), / L-reserve {vs_reserve}")
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / f"checkout-{stamp}.json").write_text(json.dumps(report, indent=2, default=str))
    print(json.dumps({k: v for k, v in report.items() if k != "throughput"}, indent=2, default=str))
    print(f"(results in {args.out}/checkout-{stamp}.json)")


if __name__ == "__main__":
    main()
