"""What the returns context needs from a seller order, written here because the orders context owns its tables:
the delivered lines a buyer may return, and `open_returns`, the count that holds the seller order's completion
while a return is open (the completion job waits for it to be 0)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from market.core.db import fetch


@dataclass(frozen=True)
class Returnable:
    """A delivered seller order a buyer opened a return on (its `open_returns` already counts it)."""

    seller_order_id: str
    order_id: str
    seller_id: str
    payment_method: str


@dataclass(frozen=True)
class DeliveredLine:
    """An order line as delivered: `amount` is its final amount (after catch weight), `weight_g` what it weighed."""

    id: str
    variant_id: str
    product_id: str
    product_name: str
    quantity: int
    amount: int
    weight_g: int


@dataclass(frozen=True)
class SellerOrderState:
    status: str
    delivered_at: datetime | None


HOLD_SQL = """
UPDATE seller_order s SET open_returns = s.open_returns + 1, updated_at = now()
WHERE s.id = $1 AND s.order_id = $2 AND s.status = 'delivered' AND s.delivered_at >= $3
  AND s.order_id IN (SELECT id FROM orders WHERE id = $2 AND account_id = $4)
RETURNING s.id, s.order_id, s.seller, s.payment_method
"""


async def hold_for_return(
    seller_order_id: str, order_id: str, account_id: str, delivered_since: datetime
) -> Returnable | None:
    """Count one more open return on a delivered seller order of this buyer's order, delivered at or after
    `delivered_since` (inside the caller's transaction; the row stays locked until it ends, so returns of one
    seller order are opened one at a time). None when it is not delivered, not in the window, or not theirs."""
    rows = await fetch(HOLD_SQL, seller_order_id, order_id, delivered_since, account_id)
    if not rows:
        return None
    row = rows[0]
    return Returnable(row["id"], row["order_id"], row["seller"], row["payment_method"])


async def release_return_hold(seller_order_id: str, refunded: int = 0) -> None:
    """A return was closed (refunded, or refused for good): one open return fewer (never below 0), and what it
    gave back to the buyer counted in `returned_amount` (the completion event carries it, so what the seller keeps
    is the total less what came back)."""
    await fetch(
        "UPDATE seller_order SET open_returns = open_returns - 1, returned_amount = returned_amount + $2, "
        "updated_at = now() WHERE id = $1 AND open_returns > 0",
        seller_order_id,
        refunded,
    )


async def state_for_buyer(seller_order_id: str, order_id: str, account_id: str) -> SellerOrderState | None:
    """The status and delivery time of a seller order in this buyer's order (None: not theirs)."""
    rows = await fetch(
        "SELECT s.status, s.delivered_at FROM seller_order s JOIN orders o ON o.id = s.order_id "
        "WHERE s.id = $1 AND s.order_id = $2 AND o.account_id = $3",
        seller_order_id,
        order_id,
        account_id,
    )
    return SellerOrderState(rows[0]["status"], rows[0]["delivered_at"]) if rows else None


async def buyer_owns(order_id: str, account_id: str) -> bool:
    return bool(await fetch("SELECT 1 FROM orders WHERE id = $1 AND account_id = $2", order_id, account_id))


async def delivered_lines(seller_order_id: str) -> list[DeliveredLine]:
    """The lines of a seller order, with what each finally cost and weighed."""
    rows = await fetch(
        "SELECT id, variant_id, product_id, product_name, quantity, coalesce(final_total, line_total) AS amount, "
        "coalesce(packed_weight_g, quantity * weight_g) AS weight_g FROM order_line WHERE seller_order = $1 "
        "ORDER BY position",
        seller_order_id,
    )
    return [DeliveredLine(**dict(row)) for row in rows]
