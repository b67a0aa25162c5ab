"""The relay: moves committed outbox rows to the job queue.

Only committed rows are visible to it, so an event of a rolled-back transaction never leaves the database. A row is
marked published after its batch is enqueued; if the relay dies in between, the next pass enqueues the batch again
and the queue's job key (the event id) drops the copies still waiting. Rows that were published but never delivered
(Redis lost its queue, a handler kept failing) are published again after `redeliver_after_s`.
"""

from __future__ import annotations

from typing import Any, Protocol

from market.core.outbox.tables import OutboxEvent

DELIVER_JOB = "deliver_event"


class JobQueue(Protocol):
    """The part of `saq.Queue` the relay uses."""

    async def enqueue(self, job_or_func: str, **kwargs: Any) -> Any:
        """Enqueue a job; returns None when a job with the same key is still waiting."""


async def relay_once(queue: JobQueue, *, batch_size: int, redeliver_after_s: int) -> int:
    """Enqueue one batch of due events; returns how many rows it handled (0 when idle)."""
    rows = await OutboxEvent.raw(
        "SELECT id, event_id, type, payload::text AS payload FROM outbox_event "
        "WHERE delivered_at IS NULL "
        "AND (published_at IS NULL OR published_at < now() - make_interval(secs => {})) "
        "ORDER BY id LIMIT {}",
        redeliver_after_s,
        batch_size,
    ).run()
    for row in rows:
        await queue.enqueue(
            DELIVER_JOB,
            key=row["event_id"],
            timeout=60,
            retries=8,
            retry_delay=1.0,
            retry_backoff=True,
            event_id=row["event_id"],
            event_type=row["type"],
            payload=row["payload"],
        )
    if rows:
        await OutboxEvent.raw(
            "UPDATE outbox_event SET published_at = now(), publish_count = publish_count + 1 "
            "WHERE id = ANY({}::bigint[])",
            [row["id"] for row in rows],
        ).run()
    return len(rows)
