"""Order jobs of the worker (SAQ cron): release card orders' reservations whose payment did not come in time."""

from __future__ import annotations

from typing import Any

import structlog

from market.core.idempotency.service import purge_expired
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
