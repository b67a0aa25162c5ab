"""Stock changes. The only code that writes `stock_level`; every decrease is a conditional update."""

from __future__ import annotations

from dataclasses import dataclass

from market.core.db import fetch
from market.core.errors import Conflict
from market.inventory.tables import StockLevel


@dataclass(frozen=True)
class Level:
    """What a variant can still sell: `available` on hand, or the pre-order capacity left."""

    on_hand: int
    reserved: int
    preorder_capacity: int | None
    preorder_reserved: int

    @property
    def available(self) -> int:
        if self.preorder_capacity is not None:
            return max(self.preorder_capacity - self.preorder_reserved, 0)
        return max(self.on_hand - self.reserved, 0)


async def create_level(variant_id: str, on_hand: int | None, preorder_capacity: int | None) -> None:
    """The stock row of a new variant (inside the caller's transaction)."""
    await StockLevel(variant_id=variant_id, on_hand=on_hand or 0, preorder_capacity=preorder_capacity).save().run()


async def set_on_hand(variant_id: str, quantity: int) -> int:
    """Set the counted stock; refused (409) below what is already reserved for orders."""
    rows = await StockLevel.raw(
        "UPDATE stock_level SET on_hand = {}, updated_at = now() "
        "WHERE variant_id = {} AND reserved <= {} AND preorder_capacity IS NULL RETURNING on_hand",
        quantity,
        variant_id,
        quantity,
    ).run()
    if not rows:
        level = await levels([variant_id])
        if variant_id in level and level[variant_id].preorder_capacity is not None:
            raise Conflict("This variant is sold by pre-order; change its capacity instead.", code="preorder_variant")
        raise Conflict("Stock cannot go below the units already reserved.", code="below_reserved")
    return int(rows[0]["on_hand"])


async def levels(variant_ids: list[str]) -> dict[str, Level]:
    """Levels by variant id (missing ids are absent)."""
    if not variant_ids:
        return {}
    rows = await StockLevel.select().where(StockLevel.variant_id.is_in(variant_ids)).run()
    return {
        row["variant_id"]: Level(row["on_hand"], row["reserved"], row["preorder_capacity"], row["preorder_reserved"])
        for row in rows
    }


@dataclass(frozen=True)
class Hold:
    """Units of one variant an order holds: reserved from stock on hand, or from a pre-order capacity."""

    variant_id: str
    quantity: int
    preorder: bool = False


# Rows are locked in variant id order first (the MATERIALIZED CTE), so that two checkouts sharing variants never
# wait on each other in a cycle; the UPDATE's condition is then re-checked on the latest row versions.
RESERVE_SQL = """
WITH wanted AS (SELECT * FROM unnest($1::varchar[], $2::int[]) AS w(variant_id, quantity)),
locked AS MATERIALIZED (
    SELECT variant_id FROM stock_level WHERE variant_id = ANY($1::varchar[]) ORDER BY variant_id FOR UPDATE
)
UPDATE stock_level s SET
    reserved = s.reserved + CASE WHEN s.preorder_capacity IS NULL THEN w.quantity ELSE 0 END,
    preorder_reserved = s.preorder_reserved + CASE WHEN s.preorder_capacity IS NULL THEN 0 ELSE w.quantity END,
    updated_at = now()
FROM wanted w
WHERE s.variant_id = w.variant_id AND s.variant_id IN (SELECT variant_id FROM locked)
  AND CASE WHEN s.preorder_capacity IS NULL THEN s.on_hand - s.reserved
           ELSE s.preorder_capacity - s.preorder_reserved END >= w.quantity
RETURNING s.variant_id, s.preorder_capacity IS NOT NULL AS preorder
"""

RELEASE_SQL = """
WITH wanted AS (
    SELECT variant_id, sum(quantity)::int AS quantity, preorder
    FROM unnest($1::varchar[], $2::int[], $3::bool[]) AS w(variant_id, quantity, preorder)
    GROUP BY variant_id, preorder
),
locked AS MATERIALIZED (
    SELECT variant_id FROM stock_level WHERE variant_id = ANY($1::varchar[]) ORDER BY variant_id FOR UPDATE
)
UPDATE stock_level s SET
    reserved = s.reserved - CASE WHEN w.preorder THEN 0 ELSE w.quantity END,
    preorder_reserved = s.preorder_reserved - CASE WHEN w.preorder THEN w.quantity ELSE 0 END,
    updated_at = now()
FROM wanted w
WHERE s.variant_id = w.variant_id AND s.variant_id IN (SELECT variant_id FROM locked)
RETURNING s.variant_id
"""


async def reserve(wanted: dict[str, int]) -> dict[str, bool] | None:
    """Reserve every quantity or none, in one statement: stock on hand for ordinary variants, the harvest window's
    capacity for pre-order ones. Must run inside the caller's transaction, which rolls back on a shortage.

    Returns:
        Whether each variant was reserved against a pre-order capacity, or None when any variant is short (then
        some rows may have been reserved: the caller must roll its transaction back).
    """
    ids = sorted(wanted)
    rows = await fetch(RESERVE_SQL, ids, [wanted[variant_id] for variant_id in ids])
    if len(rows) != len(ids):
        return None
    return {row["variant_id"]: row["preorder"] for row in rows}


async def release(holds: list[Hold]) -> None:
    """Give held units back (a cancelled or expired order), inside the caller's transaction."""
    if holds:
        await fetch(
            RELEASE_SQL,
            [hold.variant_id for hold in holds],
            [hold.quantity for hold in holds],
            [hold.preorder for hold in holds],
        )
