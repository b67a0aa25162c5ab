"""The worker: relays the outbox to the SAQ queue and runs the queued jobs.

`market worker` runs both in one process. The relay polls committed outbox rows; the SAQ worker delivers each event
to its registered handlers (`market.core.events.registry`), filled by the contexts' `jobs.py` modules listed in
`HANDLER_MODULES`.
"""

from __future__ import annotations

import asyncio
import importlib
from pathlib import Path

import structlog
from saq import CronJob, Queue, Worker
from saq.types import Context

from market.banking.jobs import reconcile as reconcile_bank_feed
from market.core import clock
from market.core.events import Event, HandlerRegistry, registry
from market.core.leader import LeaderOnly
from market.core.loops import PollingLoop
from market.core.outbox.delivery import deliver
from market.core.outbox.relay import DELIVER_JOB, JobQueue, relay_once
from market.core.resources import Resources, current
from market.notifications.jobs import sender_loop as notification_sender
from market.notifications.jobs import warn_expiring_certifications
from market.orders.jobs import complete_seller_orders, purge_idempotency_keys, release_expired_reservations
from market.payments.jobs import reconcile as reconcile_stripe
from market.payments.registry import close_clients as payment_clients
from market.payouts.jobs import weekly_batch as weekly_payout_batch
from market.returns.jobs import close_undisputed as close_undisputed_returns
from market.settings import Settings
from market.shipping.jobs import handoff_loop, raise_unremitted_cod
from market.shipping.registry import close_clients as carrier_clients
from market.webhooks.jobs import sender_loop as webhook_sender
from search import indexer
from search.index import index_uid
from search.indexer import IndexSync
from search.suggest_index import build_suggestions

log = structlog.get_logger(__name__)

HANDLER_MODULES: tuple[str, ...] = (
    "market.banking.jobs",
    "market.catalog.jobs",
    "market.ledger.jobs",
    "market.notifications.jobs",
    "market.payments.jobs",
    "market.returns.jobs",
    "market.shipping.jobs",
    "market.webhooks.jobs",
    "search.handlers",
)
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


def outbox_relay(queue: JobQueue, settings: Settings) -> PollingLoop:
    """Polls the outbox and enqueues due events; survives PostgreSQL or Redis outages."""

    async def step() -> int:
        return await relay_once(
            queue, batch_size=settings.outbox_batch_size, redeliver_after_s=settings.outbox_redeliver_after_s
        )

    return PollingLoop(
        "outbox_relay", step, batch_size=settings.outbox_batch_size, idle_s=settings.outbox_poll_interval_ms / 1000
    )


def search_sync(settings: Settings) -> LeaderOnly:
    """The one search indexer of the deployment (see `search.indexer.IndexSync`), elected through Redis."""
    resources = current()
    uid = index_uid(settings.meili_index_prefix)

    def make_loop() -> PollingLoop:
        return IndexSync(resources.meili, uid, 200, 0.1, synonyms_path=Path(settings.search_synonyms_file))

    return LeaderOnly(resources.redis, f"{settings.redis_key_prefix}leader:search-sync", make_loop)


async def mark_calendar_changes(ctx: WorkerContext) -> int:
    """Hourly SAQ cron job, on the hour (so the run at 17:00 UTC is the Vietnamese midnight): products whose
    certification ended or whose pre-order window opened or closed on the Vietnamese calendar are re-indexed (the
    product pages follow the date by themselves). A missed run is caught up by the next one the same day."""
    return await indexer.mark_calendar_changes(clock.today())


def suggestions_refresh(settings: Settings) -> LeaderOnly:
    """Rebuilds the suggestions index every SEARCH_SUGGEST_REFRESH_S (`search.suggest_index`), once per
    deployment: a new product's name shows in suggestions within that time (and the cache's TTL)."""
    resources = current()

    async def step() -> int:
        await build_suggestions(resources.meili, settings.meili_index_prefix, Path(settings.search_synonyms_file))
        return 0

    def make_loop() -> PollingLoop:
        return PollingLoop("search_suggestions", step, batch_size=1, idle_s=settings.search_suggest_refresh_s)

    return LeaderOnly(resources.redis, f"{settings.redis_key_prefix}leader:search-suggestions", make_loop)


def build_worker(
    settings: Settings,
    queue: Queue,
    handlers: HandlerRegistry,
    *,
    with_search_sync: bool = True,
    with_handoff: bool = True,
    with_notifications: bool = True,
    with_webhooks: bool = True,
) -> Worker[WorkerContext]:
    """The SAQ worker with the outbox relay (and the search indexer) started and stopped alongside it."""
    loops: list[PollingLoop | LeaderOnly] = [outbox_relay(queue, settings)]
    if with_search_sync:
        loops.extend((search_sync(settings), suggestions_refresh(settings)))
    handoff = handoff_loop(settings) if with_handoff else None
    if handoff is not None:
        loops.append(handoff)
    sender = notification_sender(settings) if with_notifications else None
    if sender is not None:
        loops.append(sender)
    if with_webhooks:
        loops.append(webhook_sender(settings))
    tasks: list[asyncio.Task[None]] = []

    async def startup(ctx: WorkerContext) -> None:
        ctx["registry"] = handlers
        tasks.extend(asyncio.create_task(loop.run()) for loop in loops)
        log.info("worker_started", queue=settings.queue_name, handlers=len(HANDLER_MODULES))

    async def shutdown(ctx: WorkerContext) -> None:
        for loop in loops:
            loop.stop()
        await asyncio.gather(*tasks)
        if sender is not None:
            await sender.senders.close()

    return Worker(
        queue,
        functions=[(DELIVER_JOB, deliver_event)],
        cron_jobs=[
            CronJob(mark_calendar_changes, cron="0 * * * *"),  # 17:00 UTC is midnight in Vietnam
            CronJob(release_expired_reservations, cron="* * * * *"),
            CronJob(purge_idempotency_keys, cron="17 * * * *"),
            CronJob(complete_seller_orders, cron="*/15 * * * *"),
            CronJob(reconcile_stripe, cron="*/10 * * * *"),
            CronJob(reconcile_bank_feed, cron="*/10 * * * *"),
            CronJob(close_undisputed_returns, cron="23 * * * *"),
            CronJob(raise_unremitted_cod, cron="41 * * * *"),
            CronJob(weekly_payout_batch, cron="7 * * * *"),  # acts on PAYOUT_WEEKDAY only
            CronJob(warn_expiring_certifications, cron="0 1 * * *"),  # 08:00 in Vietnam
        ],
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
        await payment_clients()
        await carrier_clients()
        await resources.close()
