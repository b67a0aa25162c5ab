"""Stock changes. The only code that writes `stock_level` (and `harvest`); every decrease is a conditional update.

A pre-order variant sells from its capacity (`preorder_capacity`, `preorder_reserved`) until its harvest lands
(`land_harvest`): from then on it is a variant like any other, sold from stock on hand, and its capacity is NULL.
The holds its pre-orders took keep their `preorder` flag on the order lines; on a harvested row they are stock
holds, so releasing or consuming them later changes `reserved` and `on_hand`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from market.core.db import fetch
from market.core.errors import Conflict
from market.core.ids import new_id
from market.inventory.tables import StockLevel


@dataclass(frozen=True)
class Level:
    """What a variant can still sell: `available` on hand, or the pre-order capacity left; after its harvest, what
    the harvest brought in and the capacity it had."""

    on_hand: int
    reserved: int
    preorder_capacity: int | None
    preorder_reserved: int
    harvested_quantity: int | None = None
    harvest_capacity: int | None = None

    @property
    def available(self) -> int:
        if self.preorder_capacity is not None:
            return max(self.preorder_capacity - self.preorder_reserved, 0)
        return max(self.on_hand - self.reserved, 0)


async def create_level(variant_id: str, on_hand: int | None, preorder_capacity: int | None) -> None:
    """The stock row of a new variant (inside the caller's transaction)."""
    await StockLevel(variant_id=variant_id, on_hand=on_hand or 0, preorder_capacity=preorder_capacity).save().run()


async def set_on_hand(variant_id: str, quantity: int) -> int:
    """Set the counted stock; refused (409) below what is already reserved for orders, and for a pre-order (its
    capacity is what it sells until the harvest)."""
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
            raise Conflict(
                "This variant is sold by pre-order until its harvest; change its preorder_capacity instead.",
                code="preorder_variant",
                field="stock",
            )
        raise Conflict("Stock cannot go below the units already reserved.", code="below_reserved", field="stock")
    return int(rows[0]["on_hand"])


async def set_capacity(variant_id: str, capacity: int) -> int:
    """Change a pre-order's capacity (inside the caller's transaction); 409 `below_reserved` under what its
    pre-orders already hold, `not_preorder` for a variant sold from stock, `already_harvested` after its harvest."""
    rows = await fetch(
        "UPDATE stock_level SET preorder_capacity = $2, updated_at = now() "
        "WHERE variant_id = $1 AND preorder_capacity IS NOT NULL AND preorder_reserved <= $2 "
        "RETURNING preorder_capacity",
        variant_id,
        capacity,
    )
    if rows:
        return int(rows[0]["preorder_capacity"])
    level = (await levels([variant_id])).get(variant_id)
    if level is not None and level.preorder_capacity is not None:
        raise Conflict(
            f"{level.preorder_reserved} units are already pre-ordered; the capacity cannot go below them.",
            code="below_reserved",
            field="preorder_capacity",
            reserved=level.preorder_reserved,
        )
    if level is not None and level.harvested_quantity is not None:
        raise Conflict("This pre-order was harvested; change its stock instead.", code="already_harvested",
                       field="preorder_capacity")  # fmt: skip
    raise Conflict("This variant is sold from stock, not by pre-order.", code="not_preorder",
                   field="preorder_capacity")  # fmt: skip


_LEVELS_SQL = """
SELECT s.variant_id, s.on_hand, s.reserved, s.preorder_capacity, s.preorder_reserved,
       h.harvested_quantity, h.capacity AS harvest_capacity
FROM stock_level s LEFT JOIN harvest h USING (variant_id)
WHERE s.variant_id = ANY($1::varchar[])
"""


def level_of(row: dict[str, Any]) -> Level:
    """A level from a row with the stock_level columns (and, when there was a harvest, its two columns)."""
    return Level(row["on_hand"], row["reserved"], row["preorder_capacity"], row["preorder_reserved"],
                 row.get("harvested_quantity"), row.get("harvest_capacity"))  # fmt: skip


async def levels(variant_ids: list[str]) -> dict[str, Level]:
    """Levels by variant id (missing ids are absent)."""
    if not variant_ids:
        return {}
    rows = await fetch(_LEVELS_SQL, variant_ids)
    return {row["variant_id"]: level_of(dict(row)) for row in rows}


async def lock(variant_ids: list[str]) -> dict[str, Level]:
    """Lock these variants' stock rows for the caller's transaction, in variant id order (as every reservation
    does, so that no two transactions wait on each other in a cycle); returns their levels."""
    await fetch(
        "SELECT variant_id FROM stock_level WHERE variant_id = ANY($1::varchar[]) ORDER BY variant_id FOR UPDATE",
        sorted(set(variant_ids)),
    )
    return await levels(variant_ids)


@dataclass(frozen=True)
class Harvested:
    """A declared harvest: what came in and which seller orders it filled or cancelled."""

    id: str
    variant_id: str
    capacity: int
    harvested_quantity: int
    filled_quantity: int
    filled_seller_orders: list[str]
    cancelled_seller_orders: list[str]
    declared_by: str
    declared_at: datetime

    @property
    def surplus(self) -> int:
        """What the harvest brought beyond the pre-orders it filled: on sale from stock."""
        return self.harvested_quantity - self.filled_quantity


async def harvest_of(variant_id: str) -> Harvested | None:
    """The variant's declared harvest, if any."""
    rows = await fetch("SELECT * FROM harvest WHERE variant_id = $1", variant_id)
    return _harvested(dict(rows[0])) if rows else None


def _harvested(row: dict[str, Any]) -> Harvested:
    def ids(value: Any) -> list[str]:
        return list(json.loads(value) if isinstance(value, str) else value)

    return Harvested(row["id"], row["variant_id"], row["capacity"], row["harvested_quantity"], row["filled_quantity"],
                     ids(row["filled_seller_orders"]), ids(row["cancelled_seller_orders"]), row["declared_by"],
                     row["declared_at"])  # fmt: skip


_LAND_SQL = """
WITH landed AS (
    UPDATE stock_level SET on_hand = on_hand + $2, reserved = reserved + preorder_reserved,
           preorder_capacity = NULL, preorder_reserved = 0, updated_at = now()
    WHERE variant_id = $1 AND preorder_capacity IS NOT NULL AND preorder_reserved = $3
    RETURNING variant_id, preorder_capacity
)
INSERT INTO harvest (id, variant_id, capacity, harvested_quantity, filled_quantity, filled_seller_orders,
                     cancelled_seller_orders, declared_by, declared_at)
SELECT $4, variant_id, $5, $2, $3, $6::jsonb, $7::jsonb, $8, $9 FROM landed
RETURNING *
"""


async def land_harvest(
    variant_id: str, harvested: int, filled: int, filled_ids: list[str], cancelled_ids: list[str], actor: str,
    at: datetime,
) -> Harvested:  # fmt: skip
    """Put a harvest on hand (inside the caller's transaction, with the row locked and the pre-orders that did not
    fit already released): the `filled` units its pre-orders still hold become stock reserved for them, the rest is
    on sale, and the variant is no longer a pre-order. Refused (409 `harvest_changed`) when the holds left are not
    exactly `filled`: the caller's view of its pre-orders was stale, and nothing is written."""
    capacity = await fetch("SELECT preorder_capacity FROM stock_level WHERE variant_id = $1", variant_id)
    encode = json.dumps
    rows = await fetch(_LAND_SQL, variant_id, harvested, filled, new_id("hvs"), capacity[0]["preorder_capacity"],
                       encode(filled_ids), encode(cancelled_ids), actor, at)  # fmt: skip
    if not rows:
        raise Conflict("The pre-orders changed while the harvest was declared; declare it again.",
                       code="harvest_changed")  # fmt: skip
    return _harvested(dict(rows[0]))


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


RESERVE_SQL = f"WITH {reservation_ctes('$1', '$2')} SELECT (SELECT ok FROM verdict) AS ok"  # noqa: S608 (constants)


async def reserve(holds: list[Hold]) -> bool:
    """Reserve these holds again, all or nothing (a late payment of an expired order), inside the caller's
    transaction; False when any line no longer fits in what is available."""
    wanted: dict[str, int] = {}
    for hold in holds:
        wanted[hold.variant_id] = wanted.get(hold.variant_id, 0) + hold.quantity
    if not wanted:
        return False
    ids = sorted(wanted)
    rows = await fetch(RESERVE_SQL, ids, [wanted[variant_id] for variant_id in ids])
    return bool(rows[0]["ok"])


async def release(holds: list[Hold]) -> None:
    """Give held units back (a cancelled or expired order), inside the caller's transaction."""
    await _change(RELEASE_SQL, holds)


# One row per variant in `wanted` (an UPDATE ... FROM applies one joined row per target row), with its holds split
# into those on the pre-order capacity (`pre`: pre-order holds while the row is still a pre-order) and those on
# stock (`held`); a pre-order's holds become stock holds once its harvest has landed.
_CHANGE_SQL = """
WITH holds AS (SELECT * FROM unnest($1::varchar[], $2::int[], $3::bool[]) AS w(variant_id, quantity, preorder)),
locked AS MATERIALIZED (
    SELECT variant_id, preorder_capacity IS NOT NULL AS on_preorder FROM stock_level
    WHERE variant_id = ANY($1::varchar[]) ORDER BY variant_id FOR UPDATE
),
wanted AS (
    SELECT h.variant_id, sum(h.quantity)::int AS quantity,
           coalesce(sum(h.quantity) FILTER (WHERE h.preorder AND l.on_preorder), 0)::int AS pre,
           coalesce(sum(h.quantity) FILTER (WHERE NOT (h.preorder AND l.on_preorder)), 0)::int AS held
    FROM holds h JOIN locked l USING (variant_id) GROUP BY h.variant_id
)
UPDATE stock_level s SET {assignments}, updated_at = now()
FROM wanted w
WHERE s.variant_id = w.variant_id
"""

RELEASE_SQL = _CHANGE_SQL.format(
    assignments="""
    reserved = s.reserved - w.held,
    preorder_reserved = s.preorder_reserved - w.pre"""
)
CONSUME_SQL = _CHANGE_SQL.format(
    assignments="""
    on_hand = s.on_hand - w.held,
    reserved = s.reserved - w.held,
    preorder_capacity = s.preorder_capacity - w.pre,
    preorder_reserved = s.preorder_reserved - w.pre"""
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
