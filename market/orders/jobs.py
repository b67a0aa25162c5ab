"""Order jobs of the worker (SAQ cron): release card orders' reservations whose payment did not come in time, and
complete delivered seller orders whose return window ended."""

from __future__ import annotations

from typing import Any

import structlog

from market.core.idempotency.service import purge_expired
from market.core.resources import current
from market.orders.lifecycle import complete_due
from market.orders.service import release_expired

log = structlog.get_logger(__name__)


async def release_expired_reservations(ctx: Any) -> int:
    """Every minute: card orders still unpaid after RESERVATION_TTL_S are cancelled and their stock released."""
    released = await release_expired()
    if released:
        log.info("reservations_released", orders=released)
    return released


async def purge_idempotency_keys(ctx: Any) -> int:
    """Hourly: forget Idempotency-Keys older than 24 hours."""
    return await purge_expired()


COMPLETION_BATCH = 200


async def complete_seller_orders(ctx: Any, window_days: int | None = None) -> int:
    """Every quarter hour: delivered seller orders whose return window (RETURN_WINDOW_DAYS, on the Vietnamese
    calendar of `market.core.clock`) ended with no open return become completed, each once, in batches."""
    days = current().settings.return_window_days if window_days is None else window_days
    completed = 0
    while True:
        batch = await complete_due(days, COMPLETION_BATCH)
        completed += batch
        if batch < COMPLETION_BATCH:
            break
    if completed:
        log.info("seller_orders_completed", seller_orders=completed)
    return completed
