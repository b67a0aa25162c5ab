"""`python -m tests.bench.webhooks`: a seller endpoint that hangs does not delay the other sellers' webhooks.

One run, three scenarios against the same local sink (`market webhook-sink`, a granian process), each with
`--sellers` sellers whose events arrive at a steady rate (`--rate` events a second, spread over the sellers, for
`--seconds`), each event fanned out as the worker's handler does and sent by the worker's `WebhookLoop`:
- `healthy`: every endpoint answers at once (the reference);
- `one_hangs`: the first seller's endpoint never answers (each attempt waits out WEBHOOK_TIMEOUT_S), with the
  default lanes (WEBHOOK_PER_ENDPOINT=2, WEBHOOK_CONCURRENCY=50);
- `one_hangs_no_lanes`: the same, but the process sends only 2 at a time whatever the endpoint (what a plain worker
  pool without per-endpoint lanes does), to show what the lanes prevent.
For each: p50, p99 and max latency (event committed -> received by the sink) of the *other* sellers' deliveries,
and how many of them arrived. Uses its own database (`<DATABASE_URL>_bench_webhooks`), dropped afterwards.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

_url = urlsplit(os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/market"))
os.environ["DATABASE_URL"] = urlunsplit(_url._replace(path=f"{_url.path or '/market'}_bench_webhooks"))
os.environ.setdefault("MARKET_ENV", "development")
os.environ["WEBHOOK_ALLOW_LOOPBACK"] = "true"
os.environ["LOG_LEVEL"] = "error"

import argparse  # noqa: E402
import asyncio  # noqa: E402
import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402
from dataclasses import dataclass, replace  # noqa: E402

import msgspec  # noqa: E402

from market.core.db import engine, transaction  # noqa: E402
from market.core.events import Event  # noqa: E402
from market.core.migrate import drop_database, ensure_database, migrate  # noqa: E402
from market.core.outbox.service import record  # noqa: E402
from market.core.resources import Resources  # noqa: E402
from market.sellers import service as sellers  # noqa: E402
from market.sellers.schemas import SellerRegistration  # noqa: E402
from market.settings import Settings  # noqa: E402
from market.webhooks import service  # noqa: E402
from market.webhooks.dispatcher import Dispatcher, WebhookLoop  # noqa: E402
from market.webhooks.sender import Sender  # noqa: E402
from tests.factories import seller_body  # noqa: E402
from tests.fakes.webhook_sink import WebhookSink  # noqa: E402


@dataclass(frozen=True)
class Result:
    scenario: str
    others_expected: int
    others_received: int
    p50_ms: float
    p99_ms: float
    max_ms: float
    hanging_received: int


async def _sellers(count: int) -> list[str]:
    made = []
    for _ in range(count):
        seller, _ = await sellers.register_self(msgspec.convert(seller_body(), SellerRegistration))
        made.append(seller.id)
    return made


async def _scenario(name: str, settings: Settings, sink: WebhookSink, seller_ids: list[str], hang: bool,
                    concurrency: int, rate: float, seconds: float) -> Result:  # fmt: skip
    await engine().run_ddl("TRUNCATE webhook_attempt, webhook_delivery, webhook_endpoint, outbox_event CASCADE")
    boxes = []
    for seller_id in seller_ids:
        box = sink.box()
        await service.create_endpoint(service.Actor(seller_id, "system:bench"), box, ["*"], "bench", True)
        boxes.append(box)
    if hang:
        await sink.behave(boxes[0], hang=True)
    dispatcher = Dispatcher(Sender.create(settings.webhook_timeout_s, True), concurrency=concurrency,
                            per_endpoint=settings.webhook_per_endpoint)  # fmt: skip
    loop = WebhookLoop(dispatcher, idle_s=0.02)
    running = asyncio.create_task(loop.run())
    emitted: dict[str, float] = {}
    interval = len(seller_ids) / rate
    started = time.monotonic()
    tick = 0
    while time.monotonic() - started < seconds:
        async with transaction():  # one event per seller per tick, fanned out as the worker's handler does
            ids = []
            for seller_id in seller_ids:
                payload = {"product_id": f"prd_bench{tick}", "seller_id": seller_id}
                event_id = await record("product.rejected", payload)
                await service.fan_out(Event(event_id, "product.rejected", payload))
                ids.append(event_id)
        emitted.update(dict.fromkeys(ids, time.time()))
        tick += 1
        await asyncio.sleep(max(0.0, started + tick * interval - time.monotonic()))
    others_expected = tick * (len(seller_ids) - 1)
    deadline = time.monotonic() + settings.webhook_timeout_s * 3 + 10
    latencies: list[float] = []
    while time.monotonic() < deadline:
        latencies = []
        for box in boxes[1:]:
            for item in await sink.received(box):
                latencies.append((item["received_at"] - emitted[json.loads(item["body"])["id"]]) * 1000)
        if len(latencies) >= others_expected:
            break
        await asyncio.sleep(0.2)
    hanging = len(await sink.received(boxes[0]))
    loop.stop()
    for task in list(dispatcher.tasks):
        task.cancel()
    await running
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan")
    return Result(name, others_expected, len(latencies), statistics.median(latencies) if latencies else float("nan"),
                  p99, latencies[-1] if latencies else float("nan"), hanging)  # fmt: skip


async def main(args: argparse.Namespace) -> list[Result]:
    settings = replace(Settings.from_env(), webhook_timeout_s=args.timeout)
    await ensure_database(settings.database_url)
    resources = await Resources.open(settings)
    sink = WebhookSink()
    sink.start()
    try:
        await migrate()
        seller_ids = await _sellers(args.sellers)
        await _scenario("warm-up", settings, sink, seller_ids, False, settings.webhook_concurrency, args.rate, 1.0)
        results = []
        for name, hang, concurrency in (("healthy", False, settings.webhook_concurrency),
                                        ("one_hangs", True, settings.webhook_concurrency),
                                        ("one_hangs_no_lanes", True, settings.webhook_per_endpoint)):  # fmt: skip
            results.append(await _scenario(name, settings, sink, seller_ids, hang, concurrency, args.rate,
                                           args.seconds))  # fmt: skip
        return results
    finally:
        sink.stop()
        await resources.close()
        await drop_database(settings.database_url)


def table(results: list[Result]) -> str:
    lines = ["| scenario | other sellers' deliveries | p50 ms | p99 ms | max ms | to the hanging endpoint |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for r in results:
        lines.append(f"| {r.scenario} | {r.others_received}/{r.others_expected} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | "
                     f"{r.max_ms:.1f} | {r.hanging_received} |")  # fmt: skip
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="webhooks: a hanging endpoint must not delay other sellers")
    parser.add_argument("--sellers", type=int, default=10)
    parser.add_argument("--rate", type=float, default=100.0, help="events a second, over all sellers")
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--timeout", type=float, default=10.0, help="WEBHOOK_TIMEOUT_S for the run")
    print(table(asyncio.run(main(parser.parse_args()))))
