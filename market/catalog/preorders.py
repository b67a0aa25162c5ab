"""The pre-order calendar: when a pre-order sells, and when its lines may be packed.

A pre-order variant has three days, all Vietnamese dates (`market.core.clock`): `opens_on`, `harvest_from` and
`harvest_to`. It is
- `upcoming` before `opens_on`: it shows, but carts and checkout refuse it (409 `preorder_not_open`);
- `open` from `opens_on` through `harvest_to`, both included: it sells from its capacity while capacity is left
  (then carts and checkout answer `insufficient_stock` / `out_of_stock` as for any sold-out variant);
- `closed` from the day after `harvest_to` (409 `preorder_closed`) until its seller declares the harvest;
- `harvested` once the seller has declared the harvest (`market.orders.harvest`): the harvest is stock on hand,
  the pre-orders it filled hold part of it, and what is left sells like any variant from stock.
Its lines are packed from the harvest only: before `harvest_from` packing is refused with 409
`harvest_not_started` (with the date), and from then until the harvest is declared with `harvest_not_declared`,
so that a short harvest can still be shared first come, first served.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Literal, Protocol

from market.core import clock
from market.core.db import fetch
from market.core.errors import Conflict

Status = Literal["upcoming", "open", "closed", "harvested"]


class Window(Protocol):
    """What the calendar needs of a variant (a `SaleVariant`, or a row read for packing)."""

    @property
    def preorder_opens_on(self) -> date | None: ...
    @property
    def harvest_to(self) -> date | None: ...


def status(opens_on: date | None, harvest_to: date | None, on_preorder: bool, today: date) -> Status | None:
    """Where a variant stands on the pre-order calendar on `today` (None for a variant that never was one).

    Args:
        on_preorder: whether it still sells from a pre-order capacity (false once its harvest landed).
    """
    if opens_on is None or harvest_to is None:
        return None
    if not on_preorder:
        return "harvested"
    if today < opens_on:
        return "upcoming"
    if today > harvest_to:
        return "closed"
    return "open"


def sale_refusal(variant: Window, on_preorder: bool, today: date) -> Conflict | None:
    """Why a variant cannot go into a cart or a checkout today because of its calendar, or None."""
    opens_on, harvest_to = variant.preorder_opens_on, variant.harvest_to
    found = status(opens_on, harvest_to, on_preorder, today)
    if found == "upcoming" and opens_on is not None:
        return Conflict(f"Pre-orders open on {opens_on.isoformat()}.", code="preorder_not_open",
                        opens_on=opens_on.isoformat())  # fmt: skip
    if found == "closed" and harvest_to is not None:
        return Conflict(f"Pre-orders closed after {harvest_to.isoformat()}.", code="preorder_closed",
                        harvest_to=harvest_to.isoformat())  # fmt: skip
    return None


async def ensure_harvested(variant_ids: Iterable[str]) -> None:
    """Refuse (409) packing pre-order lines of variants whose harvest has not started or not been declared."""
    ids = sorted(set(variant_ids))
    if not ids:
        return
    rows = await fetch(
        "SELECT v.id, v.harvest_from, s.preorder_capacity IS NOT NULL AS waiting FROM variant v "
        "JOIN stock_level s ON s.variant_id = v.id WHERE v.id = ANY($1::varchar[]) AND v.harvest_from IS NOT NULL "
        "ORDER BY v.harvest_from DESC, v.id",
        ids,
    )
    waiting = [row for row in rows if row["waiting"]]
    if not waiting:
        return
    latest = waiting[0]["harvest_from"]
    if clock.today() < latest:
        raise Conflict(f"The harvest starts on {latest.isoformat()}; pack the pre-order from then.",
                       code="harvest_not_started", harvest_from=latest.isoformat(),
                       variants=[row["id"] for row in waiting])  # fmt: skip
    raise Conflict("Declare the harvest before packing its pre-orders.", code="harvest_not_declared",
                   variants=[row["id"] for row in waiting])  # fmt: skip
