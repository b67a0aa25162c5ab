"""The rows a new order is written as, built by the orders context as typed values before checkout's transaction.

Checkout orchestrates: it reads and prices the cart, asks for the shipping quotes, and hands the orders context
what was bought (`Part`s) to turn into an `OrderDraft`. The draft's rows are msgspec Structs whose fields are the
tables' columns (a test checks they match), so that checkout's one statement inserts them with
`jsonb_populate_recordset` through the clauses `insert_ctes` writes, and the mapping reads them as it reads stored
rows: a checkout's answer and a later read of the order agree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import msgspec

from market.catalog.reads import SaleVariant
from market.core.ids import new_id
from market.orders.tables import OrderLine
from market.shipping.quotes import Chosen


class ShippingAddress(msgspec.Struct, omit_defaults=True, forbid_unknown_fields=True):
    """The address an order ships to, as copied from the address book or the checkout's body (a key it does not
    know is refused rather than dropped)."""

    recipient_name: str
    phone: str
    street: str
    ward_code: int
    province_code: int
    units_version: str | None = None


class OrderRow(msgspec.Struct):
    """A row of `orders`."""

    id: str
    account_id: str | None
    guest_cart_id: str | None
    email: str | None
    phone: str
    shipping_address: ShippingAddress
    payment_method: str
    payment_status: str
    currency: str
    subtotal: int
    shipping_fee: int
    total: int
    paid_amount: int
    reserved_until: datetime | None
    created_at: datetime
    updated_at: datetime


class SellerOrderRow(msgspec.Struct):
    """A row of `seller_order`."""

    id: str
    order_id: str
    seller: str
    status: str
    payment_method: str
    subtotal: int
    shipping_fee: int
    shipping_zone: str
    shipping_service: str
    transit_days: int
    total: int
    cod_amount: int
    weight_g: int
    origin_province_code: int
    destination_province_code: int
    created_at: datetime
    updated_at: datetime
    final_subtotal: int | None = None
    status_reason: str | None = None
    cod_collected: int | None = None
    cod_reference: str | None = None
    cod_remitted: int | None = None
    delivered_at: datetime | None = None
    open_returns: int = 0
    returned_amount: int = 0
    commission_ppm: int = 0
    commission_fixed: int = 0
    commission_terms: list[dict[str, Any]] = msgspec.field(default_factory=list)
    tax_vat_bps: int = 0
    tax_pit_bps: int = 0
    version: int = 1


class LineRow(msgspec.Struct):
    """A row of `order_line` (`preorder` is replaced by what the reservation found when it is written)."""

    id: str
    seller_order: str
    position: int
    variant_id: str
    product_id: str
    sku: str
    product_name: str
    unit: str
    unit_size: str
    unit_price: int
    quantity: int
    weight_g: int
    line_total: int
    catch_weight: bool
    tolerance_percent: int | None
    preorder: bool
    packed_weight_g: int | None = None
    final_total: int | None = None


class TransitionRow(msgspec.Struct):
    """A row of `seller_order_transition` (its id is the table's sequence)."""

    seller_order: str
    from_status: str | None
    to_status: str
    actor: str
    reason: str | None
    at: datetime


@dataclass(frozen=True)
class Bought:
    """A quantity of a variant, priced as the catalog sells it now."""

    variant: SaleVariant
    quantity: int


@dataclass(frozen=True)
class Part:
    """What one seller ships in one parcel, with the service and fee chosen for it."""

    seller_id: str
    items: list[Bought]
    shipping: Chosen
    weight_g: int


@dataclass(frozen=True)
class Placing:
    """Who places the order, how they pay and where it goes."""

    account_id: str | None
    guest_cart_id: str | None
    actor: str
    email: str | None
    phone: str
    address: ShippingAddress
    payment_method: str
    cod: bool
    reserved_until: datetime | None


@dataclass
class OrderDraft:
    """Every row one order is written as."""

    order: OrderRow
    seller_orders: list[SellerOrderRow] = field(default_factory=list)
    lines: list[LineRow] = field(default_factory=list)
    history: list[TransitionRow] = field(default_factory=list)

    @property
    def wanted(self) -> dict[str, int]:
        """The quantity of each variant to reserve."""
        wanted: dict[str, int] = {}
        for line in self.lines:
            wanted[line.variant_id] = wanted.get(line.variant_id, 0) + line.quantity
        return wanted

    def as_rows(self) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
        """The draft as the mapping reads stored rows (order, seller orders, lines, history)."""
        order = msgspec.structs.asdict(self.order)
        order["shipping_address"] = msgspec.structs.asdict(self.order.shipping_address)
        return (order, [msgspec.structs.asdict(row) for row in self.seller_orders],
                [msgspec.structs.asdict(row) for row in self.lines],
                [msgspec.structs.asdict(row) for row in self.history])  # fmt: skip


def _seller_order(order_id: str, part: Part, placing: Placing, now: datetime) -> SellerOrderRow:
    subtotal = sum(item.variant.price * item.quantity for item in part.items)
    total = subtotal + part.shipping.fee
    return SellerOrderRow(
        id=new_id("sor"), order_id=order_id, seller=part.seller_id,
        status="confirmed" if placing.cod else "pending_payment", payment_method=placing.payment_method,
        subtotal=subtotal, shipping_fee=part.shipping.fee, shipping_zone=part.shipping.zone,
        shipping_service=part.shipping.service, transit_days=part.shipping.transit_days, total=total,
        cod_amount=total if placing.cod else 0, weight_g=part.weight_g,
        origin_province_code=part.items[0].variant.pickup_province_code,
        destination_province_code=placing.address.province_code, created_at=now, updated_at=now,
    )  # fmt: skip


def _line(seller_order_id: str, position: int, item: Bought) -> LineRow:
    variant = item.variant
    return LineRow(
        id=new_id("oln"), seller_order=seller_order_id, position=position, variant_id=variant.id,
        product_id=variant.product_id, sku=variant.sku, product_name=variant.product_name, unit=variant.unit,
        unit_size=variant.unit_size, unit_price=variant.price, quantity=item.quantity, weight_g=variant.weight_g,
        line_total=variant.price * item.quantity, catch_weight=variant.catch_weight,
        tolerance_percent=variant.tolerance_percent, preorder=variant.level.preorder_capacity is not None,
    )  # fmt: skip


def draft_order(placing: Placing, parts: list[Part], now: datetime) -> OrderDraft:
    """The rows of a new order: one seller order per part (confirmed for cash on delivery, else awaiting the card
    payment) with its lines and first history entry, and the order with its totals."""
    order_id = new_id("ord")
    seller_orders: list[SellerOrderRow] = []
    lines: list[LineRow] = []
    history: list[TransitionRow] = []
    for part in parts:
        seller_order = _seller_order(order_id, part, placing, now)
        seller_orders.append(seller_order)
        history.append(TransitionRow(seller_order.id, None, seller_order.status, placing.actor, "checkout", now))
        lines.extend(_line(seller_order.id, position, item) for position, item in enumerate(part.items))
    seller_orders.sort(key=lambda seller_order: seller_order.id)  # as reads list them
    subtotal = sum(so.subtotal for so in seller_orders)
    shipping_fee = sum(so.shipping_fee for so in seller_orders)
    order = OrderRow(
        id=order_id, account_id=placing.account_id, guest_cart_id=placing.guest_cart_id, email=placing.email,
        phone=placing.phone, shipping_address=placing.address, payment_method=placing.payment_method,
        payment_status="cod_pending" if placing.cod else "pending", currency="VND", subtotal=subtotal,
        shipping_fee=shipping_fee, total=subtotal + shipping_fee, paid_amount=0,
        reserved_until=placing.reserved_until, created_at=now, updated_at=now,
    )  # fmt: skip
    return OrderDraft(order, seller_orders, lines, history)


def encode(rows: Any) -> str:
    """A row or rows as the JSON text the insert clauses read."""
    return msgspec.json.encode(rows).decode()


_LINE_COLUMNS = [column._meta.db_column_name for column in OrderLine._meta.columns]
_LINE_VALUES = ", ".join("r.preorder" if name == "preorder" else f"x.{name}" for name in _LINE_COLUMNS)


def insert_ctes(gate: str, order: str, seller_orders: str, lines: str, history: str) -> str:
    """The WITH-clauses that write a draft in the caller's statement, when `gate` holds: `order`, `seller_orders`,
    `lines` and `history` are its jsonb parameters (`encode`d rows); the lines join the reservation's `reserved`
    clause (`inventory.reservation_ctes`), which says whether each came from stock or from a pre-order capacity. The
    seller orders get their commission and tax terms frozen from the ledger's rules in the same statement
    (`ledger_terms()`, a function of the ledger's migrations: see `market.ledger.terms`)."""
    return f"""
o AS (
    INSERT INTO orders SELECT * FROM jsonb_populate_record(NULL::orders, {order}::jsonb) WHERE {gate}
),
so AS (
    INSERT INTO seller_order SELECT * FROM jsonb_populate_recordset(
        NULL::seller_order, ledger_terms({seller_orders}::jsonb, {lines}::jsonb)) WHERE {gate}
),
ln AS (
    INSERT INTO order_line ({", ".join(_LINE_COLUMNS)})
    SELECT {_LINE_VALUES}
    FROM jsonb_populate_recordset(NULL::order_line, {lines}::jsonb) x JOIN reserved r USING (variant_id)
),
tr AS (
    INSERT INTO seller_order_transition (seller_order, from_status, to_status, actor, reason, at)
    SELECT * FROM jsonb_to_recordset({history}::jsonb)
        AS t(seller_order varchar, from_status varchar, to_status varchar, actor varchar, reason text, at timestamptz)
    WHERE {gate}
)"""  # noqa: S608 (the parameters' placeholders and the table's own column names, never values)
