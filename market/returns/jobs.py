"""Return jobs of the worker: open the return parcel of an accepted return (the handoff loop then creates it at
the carrier, outside any transaction), and close the refusals nobody disputed in time."""

from __future__ import annotations

from typing import Any

import structlog

from market.core import clock
from market.core.events import Event, registry
from market.core.resources import current
from market.returns import decisions
from market.shipping import service as shipping

log = structlog.get_logger(__name__)


@registry.on("return.accepted", name="returns.open_parcel")
async def open_parcel(event: Event) -> None:
    """Accepted (by the seller or an operator): the return waits for its parcel at the carrier, once."""
    await shipping.open_return_parcel(event.payload["return_id"], "vnpost")


async def close_undisputed(ctx: Any = None) -> int:
    """SAQ cron job: refusals whose dispute window ended (Vietnamese dates) are closed; returns how many."""
    closed = await decisions.close_undisputed(clock.today(), current().settings.return_window_days)
    if closed:
        log.info("returns_closed", closed=closed)
    return closed
