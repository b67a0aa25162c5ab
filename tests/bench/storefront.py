"""Storefront shipping benchmark: the quote endpoint and the cart's shipping estimate against a cart read, one run.

    python -m tests.bench.storefront [--duration 10] [--connections 64] [--workers 1] [--rounds 3]

It works in its own database (`market_bench_storefront`, made and migrated here) and Redis key prefix, with the
carrier simulator serving quotes (cached by the app as in production: 30 s in the process, five minutes in Redis),
and serves the real app with granian. Two guest carts hold the same two lines from two sellers; one of them has a
destination (Hà Nội). Scenarios, each driven by wrk in turn against the same server:

- `cart_read`: `GET /api/v1/carts/current` of the cart without a destination (the reference);
- `cart_estimate`: the same read of the cart with a destination, which answers shipping per seller;
- `shipping_quote`: `POST /api/v1/shipping/quotes` `{}` with that cart (read it, quote it to its destination);
- `shipping_quote_items`: the same quote for explicit items and a destination, without any credentials.

Each is compared with `cart_read` of its round (p99 ratio; the goal is at most 1.5). The scenarios run in
`--rounds` rounds whose order alternates (forwards, then backwards), so that a machine getting busier or quieter
during the run does not favour one of them; the verdict takes each ratio's median over the rounds. Figures go to
stdout and `.local/bench/storefront-<time>.json`. Not a pass/fail test.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

BENCH_DATABASE = "market_bench_storefront"
_base = os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/market")
os.environ["DATABASE_URL"] = urlunsplit(urlsplit(_base)._replace(path=f"/{BENCH_DATABASE}"))
os.environ["REDIS_KEY_PREFIX"] = "bench-storefront:"
os.environ["LOG_ACCESS"] = os.environ.get("BENCH_LOG_ACCESS", "false")
os.environ.update({"CARRIER_PARTNER_ID": "bench", "CARRIER_PARTNER_SECRET": "bench-partner-secret",
                   "CARRIER_WEBHOOK_SECRET": "bench-webhook-secret", "CARRIER_SIM_TICK_S": "0",
                   "CARRIER_SIM_FAIL_PERCENT": "0"})  # fmt: skip
os.environ.pop("CARRIER_SIM_WEBHOOK_URL", None)

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
from dataclasses import replace  # noqa: E402
from datetime import UTC, datetime  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import asyncpg  # noqa: E402
from redis.asyncio import Redis  # noqa: E402

from market.cart.store import Bounds, CartRef, CartStore  # noqa: E402
from market.cart.tokens import new_guest_cart  # noqa: E402
from market.catalog.categories import seed_categories  # noqa: E402
from market.core.db import engine  # noqa: E402
from market.core.migrate import ensure_database, migrate  # noqa: E402
from market.settings import Settings  # noqa: E402
from market.shipping.estimates import Place  # noqa: E402
from tests.bench.harness import TARGETS, Config, Result, Scenario, Server, Target, run, table  # noqa: E402
from tests.bench.rows import ensure_product, ensure_seller, ensure_variants, first_category  # noqa: E402

TARGETS["market_storefront"] = Target("tests.bench.apps:market_bench_app")
TARGETS["carrier_sim_storefront"] = Target("market.shipping.simulator:create_from_env")
SELLERS = ("sel_0000000000benchstorefron1", "sel_0000000000benchstorefron2")
VARIANTS = ("var_0000000000benchstorefron1", "var_0000000000benchstorefron2")
PRICE = 45_000
HANOI = Place(1, 70)
TOKENS = {"plain": "{plain_token}", "destination": "{destination_token}"}
TO_HANOI = {"province_code": HANOI.province_code, "ward_code": HANOI.ward_code}
ITEMS_BODY = json.dumps({"items": [{"variant_id": variant, "quantity": 2} for variant in VARIANTS],
                         "destination": TO_HANOI})  # fmt: skip
JSON = ("Content-Type", "application/json")
SCENARIOS = [
    Scenario("cart_read", "market_storefront", "/api/v1/carts/current", headers=(("Cart-Token", TOKENS["plain"]),)),
    Scenario("cart_estimate", "market_storefront", "/api/v1/carts/current",
             headers=(("Cart-Token", TOKENS["destination"]),), baseline="cart_read"),
    Scenario("shipping_quote", "market_storefront", "/api/v1/shipping/quotes", method="POST", body="{}",
             headers=(JSON, ("Cart-Token", TOKENS["destination"])), baseline="cart_read"),
    Scenario("shipping_quote_items", "market_storefront", "/api/v1/shipping/quotes", method="POST", body=ITEMS_BODY,
             headers=(JSON,), baseline="cart_read"),
]  # fmt: skip
GOAL_P99_RATIO = 1.5


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


async def prepare(settings: Settings) -> dict[str, str]:
    """The database with two sellers of one variant each, and the two guest carts: {"plain_token",
    "destination_token"}."""
    await ensure_database(settings.database_url)
    await migrate()
    await seed_categories()
    if engine().pool:
        await engine().close_connection_pool()
    connection = await asyncpg.connect(settings.database_url)
    try:
        category = await first_category(connection)
        assert category is not None
        async with connection.transaction():
            for index, (seller, variant) in enumerate(zip(SELLERS, VARIANTS, strict=True)):
                product = f"prd_0000000000benchstorefron{index + 1}"
                await ensure_seller(connection, seller, f"bench-storefront-{index}")
                await ensure_product(connection, product, seller, category, f"Khóm Bến Lức (bench {index})",
                                     f"bench-storefront-{index}")  # fmt: skip
                await ensure_variants(connection, product, seller, [(variant, 1_000_000_000)], PRICE)
    finally:
        await connection.close()
    redis = Redis.from_url(settings.redis_url, decode_responses=True)
    store = CartStore(redis, settings.redis_key_prefix)
    tokens: dict[str, str] = {}
    try:
        for name in ("plain", "destination"):
            cart_id, token = new_guest_cart(settings.secret_key)
            cart = CartRef(cart_id, customer=False)
            for variant in VARIANTS:
                await store.change(cart, variant, "add", 2, PRICE, Bounds(1, 0, 1_000_000_000))
            if name == "destination":
                await store.set_destination(cart, HANOI)
            tokens[f"{name}_token"] = token
    finally:
        await redis.aclose()
    return tokens


def rounds(count: int) -> list[Scenario]:
    """The scenarios `count` times, named `<name>@<round>`, every other round backwards, each compared with the
    cart read of its own round."""
    chosen = []
    for number in range(1, count + 1):
        order = SCENARIOS if number % 2 else SCENARIOS[::-1]
        chosen += [replace(scenario, name=f"{scenario.name}@{number}",
                           baseline=f"{scenario.baseline}@{number}" if scenario.baseline else None)
                   for scenario in order]  # fmt: skip
    return chosen


def verdict(results: list[Result]) -> list[dict[str, Any]]:
    """Per scenario: the p99 of each round, its ratio to that round's cart read, and the median ratio."""
    lines = []
    for scenario in SCENARIOS[1:]:
        runs = [result for result in results if result.name.partition("@")[0] == scenario.name]
        ratios = [result.p99_vs_baseline for result in runs if result.p99_vs_baseline is not None]
        median = round(statistics.median(ratios), 3) if ratios else None
        lines.append({"scenario": scenario.name, "p99_ms": [result.p99_ms for result in runs],
                      "p99_vs_cart_read": ratios, "median_p99_vs_cart_read": median,
                      "within_goal": median is not None and median <= GOAL_P99_RATIO,
                      "errors": sum(result.errors for result in runs)})  # fmt: skip
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per scenario (default 10)")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=3, help="rounds of every scenario, alternating their order")
    parser.add_argument("--out", type=Path, default=Path(".local/bench"))
    args = parser.parse_args()
    settings = Settings.from_env()
    context = asyncio.run(prepare(settings))
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    config = Config(args.duration, args.connections, args.threads, args.workers, args.out, warmup_s=2)
    sim = Server("carrier_sim_storefront", 1, args.out / f"{stamp}-storefront-carrier-sim.log")
    os.environ["CARRIER_API_BASE"] = sim.base_url  # the app's server inherits it
    with sim:
        results = run(rounds(args.rounds), config, context)
    lines = verdict(results)
    report = {"started_at": stamp, "cores": os.cpu_count(), "config": vars(config) | {"out_dir": str(args.out)},
              "results": [vars(result) for result in results], "goal_p99_ratio": GOAL_P99_RATIO,
              "verdict": lines}  # fmt: skip
    print(table(results))
    for line in lines:
        print(f"{line['scenario']}: p99 {line['p99_ms']} ms, x{line['p99_vs_cart_read']} of cart_read, median "
              f"x{line['median_p99_vs_cart_read']} ({'within' if line['within_goal'] else 'OVER'} the "
              f"{GOAL_P99_RATIO}x goal)")  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"storefront-{stamp}.json"
    path.write_text(json.dumps(report, indent=2, default=str))
    print(f"(results in {path})")


if __name__ == "__main__":
    main()
