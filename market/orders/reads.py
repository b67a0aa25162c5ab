"""Reading orders and seller orders for buyers, sellers and operators, in a fixed number of queries per page.

Ids are time-ordered, so lists run newest first by id and the cursor is the last id served.
"""

from __future__ import annotations

from typing import Any

from market.core.errors import NotFound
from market.core.pagination import Page, decode_cursor, encode_cursor, page_of
from market.core.security import signed, unsigned
from market.orders.mapping import Row, by_seller_order, order_out, seller_order_out
from market.orders.schemas import OrderOut, SellerOrderOut
from market.orders.tables import Order, OrderLine, SellerOrder, SellerOrderTransition
from market.payments.gateway import PaymentStart
from market.payments.service import payments_of, refunds_due


async def _rows(query: Any) -> list[Row]:
    return list(await query.output(load_json=True).run())


async def _children(seller_order_ids: list[str]) -> tuple[list[Row], list[Row]]:
    if not seller_order_ids:
        return [], []
    lines = await _rows(OrderLine.select().where(OrderLine.seller_order.is_in(seller_order_ids)))
    history = await _rows(
        SellerOrderTransition.select()
        .where(SellerOrderTransition.seller_order.is_in(seller_order_ids))
        .order_by(SellerOrderTransition.id)
    )
    return lines, history


async def orders_out(orders: list[Row], start: PaymentStart | None = None) -> list[OrderOut]:
    """Full buyer views of these orders: 5 more queries whatever their number."""
    if not orders:
        return []
    order_ids = [o["id"] for o in orders]
    seller_orders = await _rows(
        SellerOrder.select().where(SellerOrder.order_id.is_in(order_ids)).order_by(SellerOrder.id)
    )
    lines, history = await _children([so["id"] for so in seller_orders])
    payments = {row["order_id"]: row for row in await payments_of(order_ids)}
    dues = await refunds_due(order_ids)
    by_order: dict[str, list[Row]] = {o["id"]: [] for o in orders}
    for seller_order in seller_orders:
        by_order[seller_order["order_id"]].append(seller_order)
    return [order_out(order, by_order[order["id"]], lines, history, payments.get(order["id"]), start,
                      refund_due=dues.get(order["id"], 0))
            for order in orders]  # fmt: skip


async def get_order(order_id: str, account_id: str | None = None, start: PaymentStart | None = None) -> OrderOut:
    """One order; with `account_id`, only that customer's (anyone else's is a 404)."""
    query = Order.select().where(Order.id == order_id)
    if account_id is not None:
        query = query.where(Order.account_id == account_id)
    found = await _rows(query)
    if not found:
        raise NotFound("No such order.")
    return (await orders_out(found, start))[0]


def _after(query: Any, table: type[Order] | type[SellerOrder], cursor: str | None, limit: int) -> Any:
    if cursor:
        query = query.where(table.id < str(decode_cursor(cursor, 1)[0]))
    return query.order_by(table.id, ascending=False).limit(limit + 1)


async def list_orders(account_id: str | None, limit: int, cursor: str | None) -> Page[OrderOut]:
    """A customer's orders (all orders for operators, `account_id` None), newest first."""
    query = Order.select()
    if account_id is not None:
        query = query.where(Order.account_id == account_id)
    rows = await _rows(_after(query, Order, cursor, limit))
    return page_of(await orders_out(rows), limit, lambda last: encode_cursor(last.id))


async def seller_orders_out(seller_orders: list[Row]) -> list[SellerOrderOut]:
    if not seller_orders:
        return []
    order_ids = list({so["order_id"] for so in seller_orders})
    addresses = {
        row["id"]: row["shipping_address"]
        for row in await _rows(Order.select(Order.id, Order.shipping_address).where(Order.id.is_in(order_ids)))
    }
    lines, history = await _children([so["id"] for so in seller_orders])
    lines_of, history_of = by_seller_order(lines), by_seller_order(history)
    return [
        seller_order_out(so, lines_of[so["id"]], history_of[so["id"]], addresses[so["order_id"]])
        for so in seller_orders
    ]


async def get_seller_order(seller_order_id: str, seller_id: str | None = None) -> SellerOrderOut:
    """One seller order; with `seller_id`, only that seller's (anyone else's is a 404)."""
    query = SellerOrder.select().where(SellerOrder.id == seller_order_id)
    if seller_id is not None:
        query = query.where(SellerOrder.seller == seller_id)
    found = await _rows(query)
    if not found:
        raise NotFound("No such seller order.")
    return (await seller_orders_out(found))[0]


async def list_seller_orders(
    seller_id: str | None, limit: int, cursor: str | None, status: str | None = None, order_id: str | None = None
) -> Page[SellerOrderOut]:
    """A seller's seller orders (every seller's for operators), newest first, filtered by status or order."""
    query = SellerOrder.select()
    if seller_id is not None:
        query = query.where(SellerOrder.seller == seller_id)
    if status is not None:
        query = query.where(SellerOrder.status == status)
    if order_id is not None:
        query = query.where(SellerOrder.order_id == order_id)
    rows = await _rows(_after(query, SellerOrder, cursor, limit))
    return page_of(await seller_orders_out(rows), limit, lambda last: encode_cursor(last.id))


GUEST_ORDER = "guest-order"


def guest_order_token(secret: str, order_id: str) -> str:
    """What a guest reads its order with (returned at checkout as `access_token`)."""
    return signed(secret, GUEST_ORDER, order_id)


async def guest_order(secret: str, order_id: str, token: str | None) -> OrderOut:
    """A guest's order, for the token made at its checkout (anything else is a 404)."""
    if not token or unsigned(secret, GUEST_ORDER, token) != order_id:
        raise NotFound("No such order.")
    found = await _rows(Order.select().where((Order.id == order_id) & Order.account_id.is_null()))
    if not found:
        raise NotFound("No such order.")
    return (await orders_out(found))[0]
