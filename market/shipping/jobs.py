"""Shipping jobs of the worker: open a parcel when a seller order is packed, hand due parcels to the carrier, and
raise the COD parcels no remittance batch has paid in time."""

from __future__ import annotations

import asyncio
from typing import Any

import structlog

from market.core import clock
from market.core.events import Event, registry
from market.core.loops import PollingLoop
from market.core.resources import current
from market.settings import Settings
from market.shipping import cod, service
from market.shipping.carrier import Carrier
from market.shipping.registry import carrier_for

HANDOFF_BATCH = 20
log = structlog.get_logger(__name__)


@registry.on("seller_order.packed", name="shipping.open_parcel")
async def open_parcel(event: Event) -> None:
    """Packed (so paid, or cash on delivery): the seller order waits for its parcel at the carrier."""
    await service.open_parcel(event.payload["seller_order_id"], "vnpost")


@registry.on("seller_order.cancelled", name="shipping.cancel_parcel", transactional=False)
async def cancel_parcel(event: Event) -> None:
    """A packed seller order was cancelled before pickup: its parcel is withdrawn (at the carrier when created)."""
    carrier = carrier_for(current().settings)
    await service.withdraw(event.payload["seller_order_id"], carrier)


def handoff_loop(settings: Settings) -> PollingLoop | None:
    """The worker's loop that creates parcels at the carrier (None when no carrier is configured)."""
    carrier = carrier_for(settings)
    if carrier is None:
        return None

    async def step() -> int:
        return await handoff_once(carrier)

    return PollingLoop("parcel_handoff", step, batch_size=HANDOFF_BATCH, idle_s=0.5)


async def handoff_once(carrier: Carrier) -> int:
    """Claim the due parcels and try each (at most `HANDOFF_BATCH` at once); returns how many it tried."""
    due = await service.claim_due(HANDOFF_BATCH)
    await asyncio.gather(*(service.hand_over(parcel, carrier) for parcel in due))
    return len(due)


async def raise_unremitted_cod(ctx: Any) -> int:
    """Hourly SAQ cron job: a delivered COD parcel that no batch has paid COD_REMITTANCE_DUE_DAYS Vietnamese days
    after its delivery day becomes an `unremitted` problem (once)."""
    raised = await cod.raise_unremitted(clock.today(), current().settings.cod_remittance_due_days)
    if raised:
        log.warning("cod_unremitted", parcels=raised)
    return raised
