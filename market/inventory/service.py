"""Stock changes. The only code that writes `stock_level`; every decrease is a conditional update."""

from __future__ import annotations

from dataclasses import dataclass

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
