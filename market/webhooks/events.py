"""Which outbox events a seller can subscribe to, and which sellers each one concerns.

The names are the outbox's own (`noun.verb_past`, ../shared/api-style.md). A delivery's `data` is the event's
payload narrowed to the seller it goes to, with `seller_id` always set: an event that names a seller goes to that
seller; one that names a seller order to the seller of that order; `order.created` and `order.paid` (an order of
several sellers) to each seller with a seller order in it, with only that seller's `seller_order_ids` and without
the amount of the whole order, which is other sellers' business.
"""

from __future__ import annotations

from typing import Any

from market.core.db import fetch
from market.core.events import Event

SELLER_ORDER_STATUSES = ("packing", "packed", "cancelled", "handed_over", "in_transit", "delivery_failed",
                         "delivered", "returning", "returned", "refunded", "completed", "cod_remitted")  # fmt: skip
EVENT_TYPES: dict[str, str] = {
    "order.created": "a buyer placed an order with a seller order of yours (cash on delivery: ready to pack)",
    "order.paid": "the buyer paid an order with a seller order of yours (card or bank transfer)",
    **{f"seller_order.{status}": f"a seller order of yours moved to {status}" for status in SELLER_ORDER_STATUSES},
    "parcel.created": "the carrier accepted a parcel of yours (with its tracking code)",
    "return.requested": "a buyer asked to return a delivered seller order",
    "return.accepted": "a return was accepted",
    "return.refused": "a return was refused",
    "return.disputed": "the buyer disputed a refused return",
    "return.received": "the returned goods reached you",
    "return.refunded": "the buyer was refunded for a return",
    "return.closed": "a return was closed",
    "product.approved": "an operator approved a product of yours",
    "product.rejected": "an operator rejected a product of yours (the reason is on the product)",
    "product.taken_down": "an operator took a product of yours down (the reason is on the product)",
    "product.reinstated": "an operator reinstated a product of yours",
    "seller.approved": "your shop was approved",
    "seller.suspended": "your shop was suspended",
    "seller.reinstated": "your shop was reinstated",
    "payout.paid": "a payout to your bank account was sent",
    "payout.failed": "a payout to your bank account failed",
    "payout.returned": "a payout came back from your bank",
}
"""Every type an endpoint can subscribe to, with what it means; `*` subscribes to all of them (and to those added
later)."""
ALL_EVENTS = "*"


async def concerned_sellers(event: Event) -> dict[str, dict[str, Any]]:
    """The sellers the event concerns, each with the `data` its webhook carries (none for an unknown order)."""
    payload = event.payload
    if isinstance(payload.get("seller_id"), str):
        return {payload["seller_id"]: dict(payload)}
    if isinstance(payload.get("seller_order_id"), str):
        rows = await fetch("SELECT seller FROM seller_order WHERE id = $1", payload["seller_order_id"])
        return {rows[0]["seller"]: {**payload, "seller_id": rows[0]["seller"]}} if rows else {}
    if isinstance(payload.get("order_id"), str):
        rows = await fetch("SELECT id, seller FROM seller_order WHERE order_id = $1 ORDER BY id", payload["order_id"])
        by_seller: dict[str, list[str]] = {}
        for row in rows:
            by_seller.setdefault(row["seller"], []).append(row["id"])
        facts = {key: value for key, value in payload.items() if key not in ("amount", "seller_order_ids")}
        return {seller: {**facts, "seller_id": seller, "seller_order_ids": ids} for seller, ids in by_seller.items()}
    return {}
