"""The outbox delivers every committed event, never a rolled-back one, and a redelivery changes nothing."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from saq import Queue

from market.core.db import engine, transaction
from market.core.events import Event, HandlerRegistry
from market.core.outbox.delivery import deliver
from market.core.outbox.relay import relay_once
from market.core.outbox.service import OutsideTransaction, record
from market.core.outbox.tables import OutboxEvent
from market.settings import Settings
from market.worker import build_worker, make_queue


@pytest.fixture
async def effects() -> AsyncIterator[None]:
    """A table the test handler writes to: one row per time an event's effect was applied."""
    await engine().run_ddl("CREATE TABLE IF NOT EXISTS test_effect (event_id text, amount int)")
    await engine().run_ddl("TRUNCATE test_effect")
    yield
    await engine().run_ddl("DROP TABLE test_effect")


async def effect_counts() -> dict[str, int]:
    rows = await OutboxEvent.raw("SELECT event_id, count(*) AS n FROM test_effect GROUP BY event_id").run()
    return {row["event_id"]: row["n"] for row in rows}


def registry_with_effect() -> HandlerRegistry:
    handlers = HandlerRegistry()

    @handlers.on("stock.adjusted", name="test.apply_effect")
    async def apply_effect(event: Event) -> None:
        await OutboxEvent.raw(
            "INSERT INTO test_effect (event_id, amount) VALUES ({}, {})", event.id, event.payload["amount"]
        ).run()

    return handlers


@pytest.fixture
async def queue(settings: Settings) -> AsyncIterator[Queue]:
    job_queue = make_queue(settings)
    await job_queue.connect()
    yield job_queue
    await job_queue.disconnect()


class CrashingQueue:
    """Enqueues like the real queue, then dies on the (n+1)th job, as a relay killed mid-batch would."""

    def __init__(self, queue: Queue, crash_after: int) -> None:
        self.queue = queue
        self.left = crash_after

    async def enqueue(self, job_or_func: str, **kwargs: Any) -> Any:
        if self.left == 0:
            raise RuntimeError("relay killed mid-batch")
        self.left -= 1
        return await self.queue.enqueue(job_or_func, **kwargs)


async def record_committed(amount: int) -> str:
    async with transaction():
        return await record("stock.adjusted", {"amount": amount})


async def run_worker_until_delivered(settings: Settings, queue: Queue, handlers: HandlerRegistry, n: int) -> None:
    worker = build_worker(settings, queue, handlers)
    task = asyncio.create_task(worker.start())
    try:
        for _ in range(200):
            delivered = await OutboxEvent.count().where(OutboxEvent.delivered_at.is_not_null())
            if delivered >= n:
                return
            await asyncio.sleep(0.05)
        pytest.fail(f"only {delivered} of {n} events delivered")
    finally:
        await worker.stop()
        await task


async def test_event_of_rolled_back_transaction_is_never_delivered(queue: Queue, effects: None) -> None:
    with pytest.raises(ZeroDivisionError):
        async with transaction():
            await record("stock.adjusted", {"amount": 5})
            _ = 1 / 0
    assert await relay_once(queue, batch_size=100, redeliver_after_s=300) == 0
    assert await OutboxEvent.count() == 0
    assert await queue.count("queued") == 0


async def test_recording_outside_a_transaction_is_refused() -> None:
    with pytest.raises(OutsideTransaction):
        await record("stock.adjusted", {"amount": 1})
    assert await OutboxEvent.count() == 0


async def test_committed_events_are_delivered_once_even_if_the_relay_dies_mid_batch(
    settings: Settings, queue: Queue, effects: None
) -> None:
    ids = [await record_committed(amount) for amount in range(1, 11)]
    with pytest.raises(RuntimeError, match="mid-batch"):
        await relay_once(CrashingQueue(queue, crash_after=4), batch_size=100, redeliver_after_s=300)
    assert await OutboxEvent.count().where(OutboxEvent.published_at.is_not_null()) == 0

    assert await relay_once(queue, batch_size=100, redeliver_after_s=300) == 10
    assert await queue.count("queued") == 10  # the 4 jobs enqueued before the crash were not doubled
    await run_worker_until_delivered(settings, queue, registry_with_effect(), 10)

    assert await effect_counts() == dict.fromkeys(ids, 1)


async def test_a_redelivered_event_changes_nothing(settings: Settings, queue: Queue, effects: None) -> None:
    handlers = registry_with_effect()
    event_id = await record_committed(7)
    event = Event(event_id, "stock.adjusted", {"amount": 7})
    assert await deliver(handlers, event) == 1
    assert await deliver(handlers, event) == 0
    await asyncio.gather(*(deliver(handlers, event) for _ in range(5)))
    assert await effect_counts() == {event_id: 1}


async def test_concurrent_first_deliveries_apply_once(effects: None) -> None:
    handlers = registry_with_effect()
    event_id = await record_committed(3)
    event = Event(event_id, "stock.adjusted", {"amount": 3})
    await asyncio.gather(*(deliver(handlers, event) for _ in range(8)))
    assert await effect_counts() == {event_id: 1}


async def test_published_but_lost_event_is_published_again(settings: Settings, queue: Queue, effects: None) -> None:
    event_id = await record_committed(9)
    assert await relay_once(queue, batch_size=100, redeliver_after_s=300) == 1
    redis = queue.redis  # type: ignore[attr-defined]  # a RedisQueue
    async for key in redis.scan_iter(match=f"saq:{queue.name}*"):
        await redis.delete(key)  # Redis restarted without persistence: the queued job is gone
    assert await relay_once(queue, batch_size=100, redeliver_after_s=300) == 0  # not yet due
    await OutboxEvent.raw(
        "UPDATE outbox_event SET published_at = now() - interval '301 seconds' WHERE event_id = {}", event_id
    ).run()
    assert await relay_once(queue, batch_size=100, redeliver_after_s=300) == 1
    await run_worker_until_delivered(settings, queue, registry_with_effect(), 1)
    assert await effect_counts() == {event_id: 1}


async def test_event_without_handlers_is_marked_delivered(settings: Settings, queue: Queue) -> None:
    async with transaction():
        await record("nobody.listens", {})
    assert await relay_once(queue, batch_size=100, redeliver_after_s=300) == 1
    await run_worker_until_delivered(settings, queue, HandlerRegistry(), 1)
    assert await relay_once(queue, batch_size=100, redeliver_after_s=0) == 0
