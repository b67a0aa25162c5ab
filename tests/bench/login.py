"""Sign-in benchmark: how many password hashes a second this machine does, and what a login flood does to browsing.

    python -m tests.bench.login [--duration 20] [--connections 16] [--workers 1]

1. argon2id hashes per second: in this process (`--threads`, default the core count) and as the API serves sign-ins
   (correct passwords, each from its own address through a trusted `X-Forwarded-For`, so no limit applies);
2. product detail under wrk, quiet;
3. the same while a login flood arrives at twice the served hash rate: once from one address at ever new identifiers
   (the per-address limit answers it), once from ever new addresses at one account (the per-account limit does).
   Each flood starts first; product detail is measured once the limit answers it (the attempts the limits let
   through, 20 and 10 by default, are hashed during that warm-up) and for as long as it goes on.
It prints the figures, the 429 counts and product detail's p99 ratio to the quiet run (the goal: at most 1.5), and
writes them to `.local/bench/login-<time>.json`. Run it against the dev database (`deploy/dev run` seeds it); it
applies pending migrations first, as `market db migrate` would.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import sys
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from market.core.migrate import migrate
from market.settings import Settings
from tests.bench.harness import TARGETS, Config, Scenario, Server, Target, drive, ensure_wrk, first_public_slug

TARGETS["market_login"] = Target("tests.bench.apps:market_bench_app", (("TRUSTED_PROXY_HEADER", "X-Forwarded-For"),))
PASSWORD = "mia-tay-ninh-ngot-thanh-2026"
OUT = Path(".local/bench")


def local_hash_rate(seconds: float, threads: int) -> float:
    """argon2id hashes a second with `threads` threads (pwdlib's default parameters, the API's)."""
    hasher = PasswordHash((Argon2Hasher(),))
    deadline = time.monotonic() + seconds

    def work() -> int:
        done = 0
        while time.monotonic() < deadline:
            hasher.hash(PASSWORD)
            done += 1
        return done

    started = time.monotonic()
    with ThreadPoolExecutor(threads) as pool:
        total = sum(pool.map(lambda _: work(), range(threads)))
    return total / (time.monotonic() - started)


async def register(base_url: str) -> str:
    identifier = f"bench-login-{secrets.token_hex(4)}@example.vn"
    body = {"identifier": identifier, "name": "Bench", "password": PASSWORD, "client": "mobile"}
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        address = f"192.0.2.{secrets.randbelow(250) + 1}"  # its own, so the flood's budget starts untouched
        response = await client.post("/api/v1/accounts", json=body, headers={"X-Forwarded-For": address})
        response.raise_for_status()
    return identifier


async def served_hash_rate(base_url: str, identifier: str, seconds: float, concurrency: int = 8) -> float:
    """Correct sign-ins a second the API serves, each from its own address (no limit in the way)."""
    done, run = 0, secrets.randbelow(250)  # addresses no earlier run used
    deadline = time.monotonic() + seconds
    body = {"identifier": identifier, "password": PASSWORD, "client": "mobile"}

    async def worker(client: httpx.AsyncClient, n: int) -> None:
        nonlocal done
        while time.monotonic() < deadline:
            headers = {"X-Forwarded-For": f"10.{run}.{n * 30 + done // 250 % 30}.{done % 250 + 1}"}
            response = await client.post("/api/v1/sessions", json=body, headers=headers)
            if response.status_code != 201:
                raise SystemExit(f"sign-in failed: {response.status_code} {response.text}")
            done += 1

    started = time.monotonic()
    async with httpx.AsyncClient(base_url=base_url, timeout=60) as client:
        await asyncio.gather(*(worker(client, n) for n in range(concurrency)))
    return done / (time.monotonic() - started)


class Flood:
    """Open-loop sign-ins with wrong passwords at `rate` a second, on a thread of its own, until stopped: from one
    address, or each from its own (`spread`); at one account, or (`identifier` None) at a new unknown one each time.
    Answers are counted apart before and after `settle()`."""

    def __init__(self, base_url: str, rate: float, identifier: str | None, spread: bool) -> None:
        self.base_url, self.rate, self.identifier, self.spread = base_url, rate, identifier, spread
        self.counts: dict[str, Counter[int]] = {"warm_up": Counter(), "measured": Counter()}
        self.phase = "warm_up"
        self.in_flight = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._run()))

    def __enter__(self) -> Flood:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def settle(self, timeout_s: float = 120) -> None:
        """Wait until the limits answer the flood (429s) and the attempts they let through were all hashed."""
        deadline = time.monotonic() + timeout_s
        while not (self.counts["warm_up"][429] and self.in_flight <= 2):
            if time.monotonic() > deadline:
                raise SystemExit(f"the flood was never limited: {dict(self.counts['warm_up'])}")
            time.sleep(0.05)
        self.phase = "measured"

    async def _run(self) -> None:
        run = secrets.randbelow(250)
        limits = httpx.Limits(max_connections=512, max_keepalive_connections=512)
        async with httpx.AsyncClient(base_url=self.base_url, timeout=120, limits=limits) as client:

            async def one(n: int) -> None:
                headers = {"X-Forwarded-For": f"172.{run}.{n // 250 % 250}.{n % 250 + 1}"} if self.spread else {}
                who = self.identifier or f"ghost-{n}-{secrets.token_hex(3)}@example.vn"
                body = {"identifier": who, "password": f"guess-{n:08d}", "client": "mobile"}
                phase = self.phase
                self.in_flight += 1
                try:
                    status = (await client.post("/api/v1/sessions", json=body, headers=headers)).status_code
                except httpx.HTTPError:
                    status = 0
                self.in_flight -= 1
                self.counts[phase][status] += 1

            loop = asyncio.get_running_loop()
            started, tasks, n = loop.time(), [], 0
            while not self._stop.is_set():
                await asyncio.sleep(max(0.0, started + n / self.rate - loop.time()))
                tasks.append(asyncio.create_task(one(n)))
                n += 1
            await asyncio.gather(*tasks)


def detail_under(server: Server, config: Config, slug: str, flood: Flood | None) -> dict[str, Any]:
    """Product detail under wrk; with a login flood, measured once the limits answer it and while it goes on."""
    scenario = Scenario("detail_cached", "market_login", "/api/v1/products/{slug}")
    if flood is None:
        result = drive(ensure_wrk(), server, scenario, config, {"slug": slug})
        return {"rps": result.rps, "p50_ms": result.p50_ms, "p99_ms": result.p99_ms, "errors": result.errors}
    with flood:
        flood.settle()
        result = drive(ensure_wrk(), server, scenario, config, {"slug": slug})
    counts = {"flood_warm_up": dict(flood.counts["warm_up"]), "flood_measured": dict(flood.counts["measured"])}
    return {"rps": result.rps, "p50_ms": result.p50_ms, "p99_ms": result.p99_ms, "errors": result.errors, **counts}


async def public_slug(settings: Settings) -> str:
    slug = await first_public_slug(settings.database_url)
    if not slug:
        raise SystemExit("no public product: run `deploy/dev run` (or `market seed`) first")
    return str(slug)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=20, help="seconds per product detail run (default 20)")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections on product detail")
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 2, help="threads for the local hash rate")
    parser.add_argument("--workers", type=int, default=1, help="granian workers")
    args = parser.parse_args()
    os.environ.setdefault("PICCOLO_CONF", "market.piccolo_conf")
    settings = Settings.from_env()
    asyncio.run(migrate())
    slug = asyncio.run(public_slug(settings))
    local = local_hash_rate(5, args.threads)
    print(f"[login] argon2id here: {local:.1f} hashes/s with {args.threads} threads", file=sys.stderr, flush=True)
    config = Config(args.duration, args.connections, min(2, args.connections), args.workers, OUT)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    with Server("market_login", args.workers, OUT / f"{stamp}-login.log") as server:
        identifier = asyncio.run(register(server.base_url))
        served = asyncio.run(served_hash_rate(server.base_url, identifier, 8))
        rate = 2 * served
        print(f"[login] served: {served:.1f} sign-ins/s; flooding at {rate:.1f}/s", file=sys.stderr, flush=True)
        drive(ensure_wrk(), server, Scenario("warm", "market_login", "/api/v1/products/{slug}"),
              Config(2, args.connections, config.threads, args.workers, OUT), {"slug": slug})  # fmt: skip
        quiet = detail_under(server, config, slug, None)
        one_address = detail_under(server, config, slug, Flood(server.base_url, rate, None, spread=False))
        target = asyncio.run(register(server.base_url))
        many = detail_under(server, config, slug, Flood(server.base_url, rate, target, spread=True))
    report: dict[str, Any] = {"started_at": stamp, "cores": os.cpu_count(), "local_hashes_per_s": round(local, 2),
              "served_sign_ins_per_s": round(served, 2), "flood_rate_per_s": round(rate, 2), "quiet": quiet,
              "flood_one_address": one_address, "flood_many_addresses_one_account": many}  # fmt: skip
    for name in ("flood_one_address", "flood_many_addresses_one_account"):
        report[name]["p99_vs_quiet"] = round(report[name]["p99_ms"] / quiet["p99_ms"], 3)
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"login-{stamp}.json").write_text(json.dumps(report, indent=2))
    print(f"argon2id hashes/s: {local:.1f} here ({args.threads} threads), {served:.1f} served as sign-ins")
    print(f"product detail quiet: {quiet['rps']:.0f} req/s, p99 {quiet['p99_ms']:.2f} ms")
    for name, label in (("flood_one_address", "one address"), ("flood_many_addresses_one_account", "many addresses")):
        row = report[name]
        print(f"flood at {rate:.1f}/s from {label}: answers {row['flood_warm_up']} until limited, then "
              f"{row['flood_measured']} while product detail did {row['rps']:.0f} req/s, p99 {row['p99_ms']:.2f} ms "
              f"= {row['p99_vs_quiet']:.2f}x quiet")  # fmt: skip
    print(f"(results in {OUT}/login-{stamp}.json)")


if __name__ == "__main__":
    main()
