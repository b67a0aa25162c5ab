"""The order's standing, derived in this one place from its seller orders and its card payment, for every reader
(buyer, guest, seller, operator, the checkout's answer); and the return window that completes delivered seller
orders.

Nothing here is stored: an order's status, payment status and amounts are computed from the rows that the
lifecycle's conditional updates move (`seller_order.status`, `cod_collected`, `cod_remitted`, the payment's
received and refunded amounts), so they cannot go stale. The vocabularies are in the README's "Order lifecycle".

- `total` is the sum of the seller orders' totals (final amounts once packed), `subtotal` likewise.
- `amount` is what the buyer pays in the end: the totals of the seller orders not cancelled, sent back or refunded.
- `paid_amount` is what came in (the card's amount received, or the cash the carrier collected) and
  `refunded_amount` what went back (refunds executed on the card; cash refunded by operators).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from market.core import clock
from market.core.db import fetch, transaction
from market.core.outbox.service import record
from market.orders.service import OPERATOR, move
from market.orders.states import GONE, order_status

Row = dict[str, Any]
DEFAULT_RETURN_WINDOW_DAYS = 3
CARD_CLOSED = ("expired", "failed", "canceled")


@dataclass(frozen=True)
class Standing:
    """Where an order stands, as every reader sees it."""

    status: str
    payment_status: str
    subtotal: int
    shipping_fee: int
    total: int
    amount: int
    paid_amount: int
    refunded_amount: int


def _cod_status(seller_orders: list[Row], amount: int) -> tuple[str, int, int]:
    """cod_pending -> (partially_collected) -> collected -> remitted, refunded; cancelled when nothing is owed."""
    collected = sum(so["cod_collected"] or 0 for so in seller_orders)
    remitted = sum(so["cod_remitted"] or 0 for so in seller_orders if so["cod_collected"] is not None)
    refunded = sum(so["cod_collected"] or 0 for so in seller_orders if so["status"] == "refunded")
    if refunded:
        status = "refunded" if refunded >= collected else "partially_refunded"
    elif not collected:
        status = "cod_pending" if amount else "cancelled"
    elif collected < amount:
        status = "partially_collected"
    else:
        status = "remitted" if remitted >= collected else "collected"
    return status, collected, refunded


def _card_status(order: Row, payment: Row | None) -> tuple[str, int, int]:
    """pending -> paid -> partially_refunded / refunded; or expired, failed, canceled when it never came. A bank
    transfer short of the total leaves it partially_paid (pending, with the rest to pay)."""
    received = payment["amount_received"] if payment else 0
    refunded = payment["amount_refunded"] if payment else 0
    if received and payment is not None and payment.get("status") == "pending":
        status = order["payment_status"] if order["payment_status"] in CARD_CLOSED else "partially_paid"
    elif received:
        status = "refunded" if refunded >= received else "partially_refunded" if refunded else "paid"
    else:
        status = order["payment_status"] if order["payment_status"] in CARD_CLOSED else "pending"
    return status, received, refunded


def standing(order: Row, seller_orders: list[Row], payment: Row | None) -> Standing:
    """The order's status, payment status and amounts, from its seller orders and its card payment (if any)."""
    amount = sum(so["total"] for so in seller_orders if so["status"] not in GONE)
    if order["payment_method"] == "cod":
        payment_status, paid, refunded = _cod_status(seller_orders, amount)
    else:
        payment_status, paid, refunded = _card_status(order, payment)
    return Standing(
        status=order_status([so["status"] for so in seller_orders]),
        payment_status=payment_status,
        subtotal=sum(so["subtotal"] if so["final_subtotal"] is None else so["final_subtotal"] for so in seller_orders),
        shipping_fee=sum(so["shipping_fee"] for so in seller_orders),
        total=sum(so["total"] for so in seller_orders),
        amount=amount,
        paid_amount=paid,
        refunded_amount=refunded,
    )


def return_window_days() -> int:
    """RETURN_WINDOW_DAYS of the running process (the default when none is open, e.g. in a script)."""
    from market.core.resources import current

    try:
        return current().settings.return_window_days
    except RuntimeError:
        return DEFAULT_RETURN_WINDOW_DAYS


def window_ends_on(delivered_at: datetime | None, window_days: int) -> date | None:
    """The last Vietnamese day on which a return can be opened: delivered on day D, D + window; the seller order
    completes once the Vietnamese date is past it."""
    return clock.vietnamese_date(delivered_at) + timedelta(days=window_days) if delivered_at else None


_DELIVERED_AT = ("coalesce(s.delivered_at, (SELECT max(t.at) FROM seller_order_transition t "
                 "WHERE t.seller_order = s.id AND t.to_status = 'delivered'))")  # fmt: skip
DUE_SQL = f"""
SELECT s.id FROM seller_order s
WHERE s.status = 'delivered' AND s.open_returns = 0 AND {_DELIVERED_AT} < $1
ORDER BY s.id LIMIT $2
"""  # noqa: S608 (a constant)
LOCK_DUE_SQL = f"""
SELECT s.*, {_DELIVERED_AT} AS delivered FROM seller_order s
WHERE s.id = $1 AND s.status = 'delivered' AND s.open_returns = 0 AND {_DELIVERED_AT} < $2
FOR UPDATE
"""  # noqa: S608 (a constant)


async def complete_due(window_days: int, limit: int = 200) -> int:
    """Complete every delivered seller order whose return window ended by the clock's Vietnamese date with no
    return open; returns how many it completed. Each is completed once, however many run at once: the row is
    locked and checked again (still delivered, still no open return) before it moves."""
    now = clock.now()
    cutoff = clock.start_of_day(clock.vietnamese_date(now) - timedelta(days=window_days))
    completed = 0
    for due in await fetch(DUE_SQL, cutoff, limit):
        completed += await _complete(due["id"], cutoff, now)
    return completed


async def _complete(seller_order_id: str, cutoff: datetime, now: datetime) -> int:
    async with transaction():
        rows = await fetch(LOCK_DUE_SQL, seller_order_id, cutoff)
        if not rows:  # completed by another run meanwhile, or a return was opened
            return 0
        row = await move(seller_order_id, "completed", "system", "return_window_ended", OPERATOR, ["delivered"])
        await record("seller_order.completed", {
            "seller_order_id": seller_order_id, "order_id": row["order_id"], "seller_id": row["seller"],
            "payment_method": row["payment_method"], "subtotal": row["subtotal"],
            "final_subtotal": row["final_subtotal"], "shipping_fee": row["shipping_fee"], "total": row["total"],
            "cod_amount": row["cod_amount"], "cod_collected": row["cod_collected"],
            "cod_remitted": row["cod_remitted"], "refunded": row["returned_amount"],
            "net": row["total"] - row["returned_amount"], "delivered_at": rows[0]["delivered"].isoformat(),
            "completed_at": now.isoformat(),
        })  # fmt: skip
    return 1
