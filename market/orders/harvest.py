"""Filling pre-orders at harvest: the seller declares what the harvest brought in, once, and in one transaction
the pre-orders are filled first come, first served, the rest are cancelled, and the harvest lands in stock.

The rules (see `market.catalog.preorders` for the calendar):
- A harvest is declared from `harvest_from` on (409 `harvest_not_started` before), once per variant: declaring the
  same quantity again answers the first declaration and changes nothing; another quantity is 409
  `already_harvested`.
- The pre-orders are the seller orders still before handover (`pending_payment` to `packed`) with a pre-order line
  of the variant, taken in order time (the order's creation, then id). Each is filled whole or cancelled whole:
  one whose quantity of the variant fits in what the harvest has left is filled; one that does not fit is
  cancelled with the reason `harvest_short` (its stock released; a paid card order is refunded through
  `seller_order.cancelled` and its `refund_due`), and the next ones still get their turn, so a later, smaller
  pre-order can be filled from what a larger one could not use.
- The harvest is then stock on hand (`market.inventory.service.land_harvest`): the filled pre-orders hold their
  units of it, and the surplus sells from stock like any variant.

Locks are taken as every other writer takes them, so no two transactions wait on each other in a cycle: the
pre-orders' seller orders first (in id order, as cancelling does), then the stock rows of every variant they hold
(in variant id order, as reservations do). Once the variant's row is locked no checkout can add a pre-order to it,
so the pre-orders read after that are all there are.
"""

from __future__ import annotations

from dataclasses import dataclass

from market.catalog.service import owned_variant
from market.core import clock
from market.core.db import fetch, transaction
from market.core.errors import Conflict
from market.core.outbox.service import record
from market.inventory import service as inventory
from market.inventory.service import Harvested
from market.orders.service import OPERATOR, cancel_in_transaction
from market.orders.states import BEFORE_HANDOVER

SHORT_REASON = "harvest_short"

_CLAIMS_SQL = """
SELECT s.id, sum(l.quantity)::int AS quantity,
       array(SELECT DISTINCT o.variant_id FROM order_line o WHERE o.seller_order = s.id) AS variant_ids
FROM seller_order s JOIN order_line l ON l.seller_order = s.id
WHERE l.variant_id = $1 AND l.preorder AND s.status = ANY($2::varchar[])
GROUP BY s.id, s.created_at
ORDER BY s.created_at, s.id
"""


@dataclass(frozen=True)
class Claim:
    """A seller order waiting for the harvest: how much of the variant it holds, and every variant it holds."""

    seller_order_id: str
    quantity: int
    variant_ids: list[str]


async def _claims(variant_id: str) -> list[Claim]:
    rows = await fetch(_CLAIMS_SQL, variant_id, sorted(BEFORE_HANDOVER))
    return [Claim(row["id"], row["quantity"], list(row["variant_ids"])) for row in rows]


def share(claims: list[Claim], harvested: int) -> tuple[list[Claim], list[Claim]]:
    """Split the pre-orders, in order time, into those the harvest fills whole and those it cannot."""
    left, filled, short = harvested, [], []
    for claim in claims:
        if claim.quantity <= left:
            filled.append(claim)
            left -= claim.quantity
        else:
            short.append(claim)
    return filled, short


async def declare(seller_id: str, product_id: str, variant_id: str, harvested: int, actor: str) -> Harvested:
    """Declare a pre-order variant's harvest (see the module docstring); returns the harvest as recorded.

    Raises:
        NotFound: not the seller's variant.
        Conflict: `not_preorder`, `harvest_not_started` (with `harvest_from`), `already_harvested` (with
            `harvested_quantity`).
    """
    variant = await owned_variant(seller_id, product_id, variant_id)
    if variant.harvest_from is None:
        raise Conflict("This variant is sold from stock, not by pre-order.", code="not_preorder")
    if clock.today() < variant.harvest_from:
        raise Conflict(f"The harvest starts on {variant.harvest_from.isoformat()}.", code="harvest_not_started",
                       harvest_from=variant.harvest_from.isoformat())  # fmt: skip
    async with transaction():
        claims = await _claims(variant_id)
        await fetch(
            "SELECT id FROM seller_order WHERE id = ANY($1::varchar[]) ORDER BY id FOR UPDATE",
            [claim.seller_order_id for claim in claims],
        )
        await inventory.lock([variant_id, *(v for claim in claims for v in claim.variant_ids)])
        earlier = await inventory.harvest_of(variant_id)
        if earlier is not None:
            if earlier.harvested_quantity != harvested:
                raise Conflict(f"The harvest was already declared: {earlier.harvested_quantity}.",
                               code="already_harvested", harvested_quantity=earlier.harvested_quantity)  # fmt: skip
            return earlier
        filled, short = share(await _claims(variant_id), harvested)
        for claim in short:
            await cancel_in_transaction(claim.seller_order_id, actor, SHORT_REASON, OPERATOR)
        landed = await inventory.land_harvest(
            variant_id, harvested, sum(claim.quantity for claim in filled), [c.seller_order_id for c in filled],
            [c.seller_order_id for c in short], actor, clock.now(),
        )  # fmt: skip
        await record("variant.harvested", {
            "product_id": product_id, "variant_id": variant_id, "seller_id": seller_id, "harvest_id": landed.id,
            "harvested_quantity": harvested, "filled_seller_order_ids": landed.filled_seller_orders,
            "cancelled_seller_order_ids": landed.cancelled_seller_orders,
        })  # fmt: skip
        await record("stock.updated", {"product_ids": [product_id]})
    return landed
