"""Notifications benchmark: 10,000 orders placed in a burst, every message delivered, checkout unharmed.

    python -m tests.bench.notify [--orders 10000] [--connections 64] [--nice 10] [--warmup 0]

In its own database (`<DATABASE_URL's name>_bench_notify`: `market_bench_notify` by default) and Redis prefix,
with the real app under granian, a real `market worker` process and the three simulators (`market mail-sim`,
`zns-sim`, `sms-sim`), it runs the same burst twice:

1. baseline: the worker without any notification channel configured (it relays the outbox and runs every other
   handler; the notification handlers queue nothing);
2. notifications: the worker with SMTP, ZNS and SMS configured; each order queues two messages (the guest buyer's
   "order placed" by Zalo ZNS, the seller's "new order" by email) that the worker's sender delivers to the local
   SMTP server and the ZNS simulator.

`--warmup N` first places N checkouts, unmeasured and with no worker (the first burst after the server starts is
slower: pools and caches fill; without it the baseline, always first, pays for that and flatters the ratio). Each
burst is `--orders` guest checkouts (one line each, spread over 300 variants that never run out) over
`--connections` connections. It reports checkout throughput, p50 and p99 for both runs and their ratio, and for the
second run the seconds from the burst's start until the last message was accepted by its provider (counted both in
our delivery log and in the simulators), and the duplicates: emails at the SMTP server sharing a delivery id
(`X-Market-Delivery`), ZNS or SMS messages at a simulator sharing a tracking or request id; deliveries left
`unknown` (perhaps sent, not resent) or parked are counted too. The worker and the simulators run under
`nice --nice` in both runs: in production the providers are other machines and the worker yields the CPU to the
API. Figures go to stdout and `.local/bench/notify-<time>.json`.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

_base = urlsplit(os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/market"))
BENCH_DATABASE = f"{_base.path.strip('/') or 'market'}_bench_notify"
os.environ["DATABASE_URL"] = urlunsplit(_base._replace(path=f"/{BENCH_DATABASE}"))
os.environ["REDIS_KEY_PREFIX"] = f"{BENCH_DATABASE}:"
os.environ["LOG_ACCESS"] = "false"
os.environ["LOG_LEVEL"] = "warning"
os.environ["GUEST_CHECKOUTS_PER_ADDRESS"] = "10000000"
for _name in ("CARRIER_API_BASE", "SMTP_HOST", "ZNS_API_BASE", "SMS_API_BASE", "STRIPE_SECRET_KEY"):
    os.environ.pop(_name, None)  # the rate table quotes shipping; channels are set per run below

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import random  # noqa: E402
import signal  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import uuid  # noqa: E402
from collections import Counter  # noqa: E402
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
from tests.bench.harness import Server  # noqa: E402
from tests.bench.rows import ensure_product, ensure_seller, ensure_variants, first_category  # noqa: E402
from tests.fakes.notify import NotifySims  # noqa: E402

SELLER = "sel_0000000000benchnotify0001"
PRODUCT = "prd_0000000000benchnotify0001"
VARIANTS = [f"var_0000000000benchnotify{n:04d}" for n in range(300)]
PRICE = 45_000
TABLES = ("orders, seller_order, order_line, seller_order_transition, outbox_event, event_receipt, idempotency_key, "
          "notification_delivery, search_pending")  # fmt: skip
BODY = {"payment_method": "cod", "contact": {"phone": "0912345678", "email": "bench@example.vn"},
        "shipping_address": {"recipient_name": "Bench", "phone": "0912345678", "street": "1 Hàng Bạc",
                             "ward_code": 70, "province_code": 1}}  # fmt: skip


def say(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


async def prepare(settings: Settings) -> None:
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
            await ensure_seller(connection, SELLER, "bench-notify")
            await connection.execute("UPDATE seller SET email = 'shop@bench.example' WHERE id = $1", SELLER)
            await ensure_product(connection, PRODUCT, SELLER, category, "Mãng cầu (bench notify)", "bench-notify")
            await ensure_variants(connection, PRODUCT, SELLER, [(v, 1_000_000_000) for v in VARIANTS], PRICE)
    finally:
        await connection.close()


async def reset(settings: Settings) -> None:
    connection = await asyncpg.connect(settings.database_url)
    try:
        await connection.execute(f"TRUNCATE {TABLES}")
        await connection.execute("UPDATE stock_level SET reserved = 0")
    finally:
        await connection.close()


async def make_carts(settings: Settings, count: int) -> list[str]:
    redis = Redis.from_url(settings.redis_url, decode_responses=True)
    store = CartStore(redis, settings.redis_key_prefix)
    rng = random.Random(count)
    tokens: list[str] = []

    async def one() -> None:
        cart_id, token = new_guest_cart(settings.secret_key)
        await store.change(CartRef(cart_id, customer=False), rng.choice(VARIANTS), "add", 1, PRICE,
                           Bounds(1, 0, 1_000_000_000))  # fmt: skip
        tokens.append(token)

    for start in range(0, count, 500):
        await asyncio.gather(*(one() for _ in range(min(500, count - start))))
    await redis.aclose()
    return tokens


async def burst(base_url: str, tokens: list[str], connections: int) -> dict[str, Any]:
    """One checkout per cart over `connections` connections; latency of each, in ms."""
    outcomes: Counter[str] = Counter()
    latencies: list[float] = []
    semaphore = asyncio.Semaphore(connections)
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    started = time.monotonic()
    async with httpx.AsyncClient(base_url=base_url, limits=limits, timeout=120) as client:

        async def one(token: str) -> None:
            async with semaphore:
                began = time.perf_counter()
                try:
                    response = await client.post("/api/v1/checkout", json=BODY, headers={
                        "Cart-Token": token, "Idempotency-Key": str(uuid.uuid4())})  # fmt: skip
                except httpx.HTTPError as exc:
                    outcomes[f"transport:{type(exc).__name__}"] += 1
                    return
                latencies.append((time.perf_counter() - began) * 1000)
                outcomes[str(response.status_code)] += 1

        await asyncio.gather(*(one(token) for token in tokens))
    seconds = time.monotonic() - started
    latencies.sort()

    def pick(q: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(q * len(latencies)))], 1)

    return {"seconds": round(seconds, 2), "rps": round(len(tokens) / seconds, 1), "p50_ms": pick(0.50),
            "p99_ms": pick(0.99), "outcomes": dict(outcomes)}  # fmt: skip


def start_worker(env: dict[str, str], nice: int, log: Path) -> subprocess.Popen[bytes]:
    argv = ["nice", "-n", str(nice), sys.executable, "-m", "market.cli", "worker"]
    return subprocess.Popen(argv, env={**os.environ, **env}, stdout=log.open("ab"), stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL)  # fmt: skip


async def wait_until(settings: Settings, sql: str, want: int, timeout_s: float) -> float:
    """Poll until `sql` counts `want`; the monotonic time it did (raises after the timeout)."""
    connection = await asyncpg.connect(settings.database_url)
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if await connection.fetchval(sql) >= want:
                return time.monotonic()
            await asyncio.sleep(0.2)
        raise SystemExit(f"timed out waiting for {sql!r} to reach {want}")
    finally:
        await connection.close()


async def one_run(settings: Settings, base_url: str, orders: int, connections: int, channels: dict[str, str],
                  nice: int, log: Path, sims: NotifySims) -> dict[str, Any]:  # fmt: skip
    await reset(settings)
    sims.reset()
    tokens = await make_carts(settings, orders)
    worker = start_worker(channels, nice, log)
    try:
        await asyncio.sleep(3)  # the worker is up
        started = time.monotonic()
        result = await burst(base_url, tokens, connections)
        events = await wait_until(settings, "SELECT count(*) FROM outbox_event WHERE delivered_at IS NOT NULL",
                                  2 * orders, 900)  # order.created and stock.updated  # fmt: skip
        result["events_delivered_s"] = round(events - started, 1)
        if channels:
            done = await wait_until(settings, "SELECT count(*) FROM notification_delivery WHERE status IN "
                                    "('sent', 'unknown', 'parked')", 2 * orders, 1800)  # settled  # fmt: skip
            result["messages_delivered_s"] = round(done - started, 1)
            result["messages"] = received(sims)
            result["deliveries"] = await _statuses(settings)
    finally:
        worker.send_signal(signal.SIGINT)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
            worker.wait()
    return result


def received(sims: NotifySims) -> dict[str, int]:
    """What reached the providers, and how many of those were a second copy of one delivery."""
    emails = [mail["headers"].get("X-Market-Delivery", "") for mail in sims.emails()]
    zns = [message["tracking_id"] for message in sims.zns_messages()]
    sms = [message["request_id"] for message in sims.sms_messages()]
    return {"emails_at_smtp_server": len(emails), "zns_at_simulator": len(zns), "sms_at_simulator": len(sms),
            "duplicate_emails": len(emails) - len(set(emails)), "duplicate_zns": len(zns) - len(set(zns)),
            "duplicate_sms": len(sms) - len(set(sms))}  # fmt: skip


async def warm_up(settings: Settings, base_url: str, orders: int, connections: int) -> None:
    await reset(settings)
    await burst(base_url, await make_carts(settings, orders), connections)


async def _statuses(settings: Settings) -> dict[str, int]:
    connection = await asyncpg.connect(settings.database_url)
    try:
        rows = await connection.fetch("SELECT channel || ':' || status AS k, count(*) AS n FROM notification_delivery "
                                      "GROUP BY 1")  # fmt: skip
        return {row["k"]: row["n"] for row in rows}
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(description="10,000 orders in a burst, with and without notifications")
    parser.add_argument("--orders", type=int, default=10_000)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--nice", type=int, default=10, help="niceness of the worker and the simulators")
    parser.add_argument("--warmup", type=int, default=0, help="unmeasured checkouts before the baseline")
    parser.add_argument("--out", type=Path, default=Path(".local/bench"))
    args = parser.parse_args()
    settings = Settings.from_env()
    asyncio.run(prepare(settings))
    args.out.mkdir(parents=True, exist_ok=True)
    log = args.out / "notify-processes.log"
    sims = NotifySims()
    sims.zns.env["ZNS_SIM_DAILY_QUOTA"] = "10000000"
    for sim in (sims.mail, sims.zns, sims.sms):
        sim.prefix = ["nice", "-n", str(args.nice)]
    sims.start()
    channels = {key: value for key, value in sims.env().items() if key != "PUBLIC_BASE_URL"}
    results: dict[str, Any] = {"orders": args.orders, "connections": args.connections, "nice": args.nice,
                               "warmup": args.warmup}  # fmt: skip
    try:
        with Server("market", 1, log) as server:
            if args.warmup:
                say(f"warm-up: {args.warmup:,} checkouts, not measured")
                asyncio.run(warm_up(settings, server.base_url, args.warmup, args.connections))
            say(f"baseline: {args.orders:,} checkouts, no notification channel")
            results["baseline"] = asyncio.run(one_run(settings, server.base_url, args.orders, args.connections, {},
                                                      args.nice, log, sims))  # fmt: skip
            say(f"notifications: {args.orders:,} checkouts, SMTP + ZNS + SMS configured")
            results["notifications"] = asyncio.run(one_run(settings, server.base_url, args.orders, args.connections,
                                                           channels, args.nice, log, sims))  # fmt: skip
    finally:
        sims.stop()
    base, notify = results["baseline"], results["notifications"]
    results["p99_ratio"] = round(notify["p99_ms"] / base["p99_ms"], 3)
    results["p50_ratio"] = round(notify["p50_ms"] / base["p50_ms"], 3)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    (args.out / f"notify-{stamp}.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
