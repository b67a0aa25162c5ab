"""The worker: relays the outbox to the SAQ queue and runs the queued jobs.

`market worker` runs both in one process. The relay polls committed outbox rows; the SAQ worker delivers each event
to its registered handlers (`market.core.events.registry`), filled by the contexts' `jobs.py` modules listed in
`HANDLER_MODULES`.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib

import structlog
from saq import Queue, Worker
from saq.types import Context

from market.core.events import Event, HandlerRegistry, registry
from market.core.outbox.delivery import deliver
from market.core.outbox.relay import DELIVER_JOB, JobQueue, relay_once
from market.core.resources import Resources
from market.settings import Settings

log = structlog.get_logger(__name__)

HANDLER_MODULES: tuple[str, ...] = ("market.catalog.jobs",)
"""Modules whose import registers event handlers; each context with a `jobs.py` adds itself here."""


class WorkerContext(Context, total=False):
    """SAQ's job context plus the handler registry the worker delivers to."""

    registry: HandlerRegistry


def load_handlers() -> HandlerRegistry:
    """Import every handler module and return the filled registry."""
    for module in HANDLER_MODULES:
        importlib.import_module(module)
    return registry


def make_queue(settings: Settings) -> Queue:
    """The job queue, in Redis under the configured key prefix."""
    return Queue.from_url(settings.redis_url, name=settings.queue_name)


async def deliver_event(ctx: WorkerContext, *, event_id: str, event_type: str, payload: str) -> int:
    """SAQ job: deliver one outbox event to its handlers."""
    handlers: HandlerRegistry = ctx.get("registry", registry)
    return await deliver(handlers, Event.from_job(event_id, event_type, payload))


class OutboxRelay:
    """Polls the outbox and enqueues due events until stopped; survives PostgreSQL or Redis outages."""

    def __init__(self, queue: JobQueue, settings: Settings) -> None:
        self.queue = queue
        self.settings = settings
        self._stopped = asyncio.Event()

    async def run(self) -> None:
        """Relay until `stop()`; back off (up to 5 s) while a dependency is down."""
        idle = self.settings.outbox_poll_interval_ms / 1000
        delay = idle
        while not self._stopped.is_set():
            try:
                moved = await relay_once(
                    self.queue,
                    batch_size=self.settings.outbox_batch_size,
                    redeliver_after_s=self.settings.outbox_redeliver_after_s,
                )
                delay = 0 if moved == self.settings.outbox_batch_size else idle
            except Exception as exc:  # a dependency outage must not kill the relay
                delay = min(max(delay * 2, 0.5), 5.0)
                log.warning("outbox_relay_failed", error=repr(exc), retry_in_s=delay)
            if delay:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopped.wait(), delay)

    def stop(self) -> None:
        """Ask the loop to finish after its current pass."""
        self._stopped.set()


def build_worker(settings: Settings, queue: Queue, handlers: HandlerRegistry) -> Worker[WorkerContext]:
    """The SAQ worker with the relay started and stopped alongside it."""
    relay = OutboxRelay(queue, settings)
    relay_task: list[asyncio.Task[None]] = []

    async def startup(ctx: WorkerContext) -> None:
        ctx["registry"] = handlers
        relay_task.append(asyncio.create_task(relay.run(), name="outbox-relay"))
        log.info("worker_started", queue=settings.queue_name, handlers=len(HANDLER_MODULES))

    async def shutdown(ctx: WorkerContext) -> None:
        relay.stop()
        if relay_task:
            await relay_task[0]

    return Worker(
        queue,
        functions=[(DELIVER_JOB, deliver_event)],
        concurrency=settings.worker_concurrency,
        startup=startup,
        shutdown=shutdown,
    )


async def run_worker(settings: Settings) -> None:
    """Run the relay and the job worker until SIGINT or SIGTERM."""
    resources = await Resources.open(settings)
    queue = make_queue(settings)
    try:
        await build_worker(settings, queue, load_handlers()).start()
    finally:
        await queue.disconnect()
        await resources.close()
