"""Payout jobs of the worker: the weekly payout batch."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import structlog

from market.core import clock
from market.core.resources import current
from market.payouts.service import NothingToPay, create_batch

log = structlog.get_logger(__name__)


async def weekly_batch(ctx: Any) -> str | None:
    """Hourly; on PAYOUT_WEEKDAY (a Vietnamese date) it creates the batch of the seven days before, once: the
    period is the batch's natural key, so the later runs of the day find it. Returns the batch id, if any."""
    settings = current().settings
    today = clock.today()
    if settings.payout_weekday is None or today.weekday() != settings.payout_weekday:
        return None
    try:
        batch, created = await create_batch(today - timedelta(days=7), today - timedelta(days=1), actor="system",
                                            minimum=settings.payout_minimum_vnd)  # fmt: skip
    except NothingToPay:
        return None
    if created:
        log.info("payout_batch_created", batch=batch.id, lines=batch.line_count, total=batch.total)
    return batch.id
