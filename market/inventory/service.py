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


def reservation_ctes(variants: str, quantities: str, *, before_reserving: str = "", gate: str = "true") -> str:
    """The WITH-clauses that reserve quantities all or nothing, for a caller's statement to build on.

    `variants` and `quantities` are the statement's parameters (`$1`, `$2`: a varchar[] of distinct variant ids and
    an int[] of quantities). Rows are locked in variant id order first (the MATERIALIZED `locked`), so two
    reservations sharing variants never wait on each other in a cycle; FOR UPDATE hands back each row's latest
    version, so `verdict.ok` says whether every line fits in what is available now (stock on hand, or the harvest
    window's pre-order capacity), and `reserved` (variant_id, preorder) holds a row per variant only when it does.
    A glance without locks comes first: when the statement's snapshot already shows a line short, nothing is locked
    and `verdict.ok` is false at once. A sold-out variant's losers then neither queue for its row nor make
    PostgreSQL flush a row lock to disk at commit. Whatever the caller writes must depend on `verdict.ok`, so that a
    shortage writes nothing at all. A caller may put more clauses `before_reserving` (they can read `verdict`) and
    one more condition, `gate`, on reserving.
    """
    return f"""
wanted AS (SELECT * FROM unnest({variants}::varchar[], {quantities}::int[]) AS w(variant_id, quantity)),
glance AS MATERIALIZED (
    SELECT coalesce(bool_and(CASE WHEN s.preorder_capacity IS NULL THEN s.on_hand - s.reserved
                                  ELSE s.preorder_capacity - s.preorder_reserved END >= w.quantity), false) AS fits
    FROM wanted w LEFT JOIN stock_level s USING (variant_id)
),
locked AS MATERIALIZED (
    SELECT variant_id, CASE WHEN preorder_capacity IS NULL THEN on_hand - reserved
                            ELSE preorder_capacity - preorder_reserved END AS available
    FROM stock_level WHERE variant_id = ANY({variants}::varchar[]) AND (SELECT fits FROM glance)
    ORDER BY variant_id FOR UPDATE
),
verdict AS MATERIALIZED (
    SELECT count(*) = cardinality({variants}::varchar[]) AS ok
    FROM locked l JOIN wanted w USING (variant_id) WHERE l.available >= w.quantity
),{before_reserving + "," if before_reserving else ""}
reserved AS (
    UPDATE stock_level s SET
        reserved = s.reserved + CASE WHEN s.preorder_capacity IS NULL THEN w.quantity ELSE 0 END,
        preorder_reserved = s.preorder_reserved + CASE WHEN s.preorder_capacity IS NULL THEN 0 ELSE w.quantity END,
        updated_at = now()
    FROM wanted w, verdict v
    WHERE v.ok AND {gate} AND s.variant_id = w.variant_id
    RETURNING s.variant_id, s.preorder_capacity IS NOT NULL AS preorder
)"""  # noqa: S608 (the parameters' placeholders, never values)


async def release(holds: list[Hold]) -> None:
    """Give held units back (a cancelled or expired order), inside the caller's transaction."""
    await _change(RELEASE_SQL, holds)


_CHANGE_SQL = """
WITH wanted AS (
    SELECT variant_id, sum(quantity)::int AS quantity, preorder
    FROM unnest($1::varchar[], $2::int[], $3::bool[]) AS w(variant_id, quantity, preorder)
    GROUP BY variant_id, preorder
),
locked AS MATERIALIZED (
    SELECT variant_id FROM stock_level WHERE variant_id = ANY($1::varchar[]) ORDER BY variant_id FOR UPDATE
)
UPDATE stock_level s SET {assignments}, updated_at = now()
FROM wanted w
WHERE s.variant_id = w.variant_id AND s.variant_id IN (SELECT variant_id FROM locked)
"""

RELEASE_SQL = _CHANGE_SQL.format(
    assignments="""
    reserved = s.reserved - CASE WHEN w.preorder THEN 0 ELSE w.quantity END,
    preorder_reserved = s.preorder_reserved - CASE WHEN w.preorder THEN w.quantity ELSE 0 END"""
)
CONSUME_SQL = _CHANGE_SQL.format(
    assignments="""
    on_hand = s.on_hand - CASE WHEN w.preorder THEN 0 ELSE w.quantity END,
    reserved = s.reserved - CASE WHEN w.preorder THEN 0 ELSE w.quantity END,
    preorder_capacity = s.preorder_capacity - CASE WHEN w.preorder THEN w.quantity ELSE 0 END,
    preorder_reserved = s.preorder_reserved - CASE WHEN w.preorder THEN w.quantity ELSE 0 END"""
)
RESTOCK_SQL = _CHANGE_SQL.format(assignments="on_hand = s.on_hand + w.quantity")


async def _change(sql: str, holds: list[Hold]) -> None:
    if holds:
        await fetch(sql, [h.variant_id for h in holds], [h.quantity for h in holds], [h.preorder for h in holds])


async def consume(holds: list[Hold]) -> None:
    """The reserved units left with the carrier: out of stock on hand (or out of the harvest's capacity)."""
    await _change(CONSUME_SQL, holds)


async def restock(holds: list[Hold]) -> None:
    """Returned goods are back on the seller's shelf."""
    await _change(RESTOCK_SQL, holds)
