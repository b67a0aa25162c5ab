"""What a message says, read from the contexts it speaks of (orders, sellers, shipping, catalog, inventory).

Read-only, in the handler's transaction: these queries join other contexts' tables rather than calling a read
function of each, because one message needs a row from three or four of them and the benchmark's burst runs
these for every order (one round trip each). Nothing here writes outside `notification_*` and `stock_alert`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from market.core.db import fetch
from market.notifications.service import Contact
from market.settings import Settings

ORDER_SQL = """
SELECT o.id, o.account_id, o.email, o.phone, o.total, o.payment_method, o.paid_amount, a.email AS account_email
FROM orders o LEFT JOIN account a ON a.id = o.account_id WHERE o.id = $1
"""
SELLER_ORDER_SQL = """
SELECT so.id, so.order_id, so.seller, so.total, so.status, so.status_reason, so.returned_amount, s.display_name,
       s.phone AS seller_phone, s.email AS seller_email, p.tracking_code
FROM seller_order so JOIN seller s ON s.id = so.seller LEFT JOIN parcel p ON p.seller_order_id = so.id
WHERE {where} ORDER BY so.id
"""


def buyer_contact(order: dict[str, Any]) -> Contact:
    """The buyer of an order: the customer account, or the guest (by the order), reached at the order's contact."""
    recipient = order["account_id"] or f"guest:{order['id']}"
    return Contact(recipient, "buyer", order["phone"], order["email"] or order["account_email"])


def seller_contact(row: dict[str, Any]) -> Contact:
    return Contact(row["seller"], "seller", row["seller_phone"], row["seller_email"])


async def order(order_id: str) -> dict[str, Any] | None:
    rows = await fetch(ORDER_SQL, order_id)
    return dict(rows[0]) if rows else None


async def seller_order(seller_order_id: str) -> dict[str, Any] | None:
    rows = await fetch(SELLER_ORDER_SQL.format(where="so.id = $1"), seller_order_id)
    return dict(rows[0]) if rows else None


async def seller_orders_of(order_id: str) -> list[dict[str, Any]]:
    return [dict(row) for row in await fetch(SELLER_ORDER_SQL.format(where="so.order_id = $1"), order_id)]


async def seller(seller_id: str) -> dict[str, Any] | None:
    rows = await fetch("SELECT id AS seller, display_name, phone AS seller_phone, email AS seller_email FROM seller "
                       "WHERE id = $1", seller_id)  # fmt: skip
    return dict(rows[0]) if rows else None


async def product(product_id: str) -> dict[str, Any] | None:
    rows = await fetch("SELECT id, name, seller, rejection_reason FROM product WHERE id = $1", product_id)
    return dict(rows[0]) if rows else None


async def stock_alerts(product_ids: list[str]) -> list[dict[str, Any]]:
    """The low-stock thresholds of these products' variants, with what can be sold now (on hand less reserved)."""
    rows = await fetch(
        "SELECT a.variant_id, a.seller_id, a.threshold, a.below, v.sku, v.product AS product_id, p.name, "
        "greatest(coalesce(sl.on_hand, 0) - coalesce(sl.reserved, 0), 0) AS available "
        "FROM stock_alert a JOIN variant v ON v.id = a.variant_id JOIN product p ON p.id = v.product "
        "LEFT JOIN stock_level sl ON sl.variant_id = a.variant_id WHERE v.product = ANY($1::varchar[])",
        product_ids,
    )
    return [dict(row) for row in rows]


async def expiring_certifications(first: date, last: date) -> list[dict[str, Any]]:
    """Certifications of live products that end between two Vietnamese dates (inclusive)."""
    rows = await fetch(
        "SELECT c.id, c.type, c.number, c.valid_until, p.id AS product_id, p.name, p.seller FROM certification c "
        "JOIN product p ON p.id = c.product WHERE c.valid_until BETWEEN $1 AND $2 "
        "AND p.status IN ('active', 'pending_review') ORDER BY c.valid_until, c.id",
        first, last,
    )  # fmt: skip
    return [dict(row) for row in rows]


def link(settings: Settings, path: str) -> str:
    """A link into the storefront or the seller centre, on PUBLIC_BASE_URL."""
    return f"{settings.public_base_url}{path}"
