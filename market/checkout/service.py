"""Placing an order from a cart, idempotently, in one transaction.

Before it: claim the Idempotency-Key, read the cart (Redis) and re-price every line from the database. Then one
statement, and so one transaction, with no call to any other system: reserve every line's stock all or nothing
(conditional updates, rows locked in variant order) and, only when everything fits, write the order, its seller
orders, lines with their snapshots, history, outbox events and the idempotency recovery point. After it: start the
payment through its gateway, store the response for replays and empty the cart.

A cash-on-delivery checkout sends PostgreSQL three statements (claim, read, place) and Redis two round trips
(read the cart, drop it); a crash anywhere leaves either the whole order with its reservations or nothing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import msgspec
import structlog

from market.cart.store import CartRef, CartStore
from market.catalog import preorders
from market.catalog.reads import SaleVariant, sale_variants
from market.core import clock
from market.core.db import fetch
from market.core.errors import Conflict, DomainError, FieldError, ValidationFailed
from market.core.idempotency import service as idempotency
from market.core.ids import new_id
from market.inventory import service as inventory
from market.inventory.service import reservation_ctes
from market.orders import reads
from market.orders.mapping import Row, order_out
from market.orders.reads import guest_order_token
from market.orders.schemas import OrderOut
from market.orders.tables import OrderLine
from market.payments.gateway import PaymentGateway, PaymentRequest, PaymentStart
from market.payments.registry import gateway_for
from market.settings import Settings
from market.shipping.quotes import Quoter, Route

log = structlog.get_logger(__name__)
CREATED = 201


@dataclass(frozen=True)
class Buyer:
    """Who checks out: a customer (`account_id`) or a guest (by cart); `scope` scopes idempotency keys."""

    scope: str
    account_id: str | None
    cart: CartRef
    actor: str


@dataclass(frozen=True)
class Request:
    address: dict[str, Any]
    payment_method: str
    phone: str
    email: str | None


@dataclass(frozen=True)
class Placed:
    """The response: a new order (201), or the first response replayed."""

    status: int
    body: bytes
    order_id: str | None
    replayed: bool = False


@dataclass
class Draft:
    """The rows one checkout writes, built before its transaction."""

    order: Row
    seller_orders: list[Row] = field(default_factory=list)
    lines: list[Row] = field(default_factory=list)
    history: list[Row] = field(default_factory=list)
    wanted: dict[str, int] = field(default_factory=dict)
    payments: list[Row] = field(default_factory=list)


async def place_order(
    store: CartStore, quoter: Quoter, buyer: Buyer, request: Request, key: str, request_hash: str, settings: Settings
) -> Placed:
    """Check out the buyer's cart (see the module docstring).

    Raises:
        DomainError: `cart_empty`, `variant_unavailable`, `preorder_not_open`, `preorder_closed`, `out_of_stock`
            (409, with the variants at fault), field errors (422), or the idempotency errors of
            `market.core.idempotency`.
    """
    gateway = gateway_for(request.payment_method, settings)
    scope_key = f"{buyer.scope}:{key}"
    try:
        draft = await _draft(store, quoter, buyer, request, gateway, settings.reservation_ttl_s)
    except DomainError:
        earlier = await idempotency.lookup(buyer.scope, key, request_hash)  # a replay finds its cart empty
        if earlier is None:
            raise
        return await _again(earlier, buyer, store, gateway, settings)
    cod = gateway.confirms_at_checkout
    cod_body = _body(draft, PaymentStart("cash_on_delivery"), buyer, settings) if cod else None
    placed = (await fetch(PLACE_SQL, *_place_args(draft, scope_key, request_hash, cod_body)))[0]
    if not placed["claimed"]:
        earlier = await idempotency.lookup(buyer.scope, key, request_hash)
        if earlier is None:
            raise await _out_of_stock(draft.wanted)
        return await _again(earlier, buyer, store, gateway, settings)
    order_id = draft.order["id"]
    if cod_body is not None:
        await _empty_cart(store, buyer.cart)
        return Placed(CREATED, cod_body, order_id)
    return await _answer(idempotency.Claim(scope_key, order_id), buyer, store, gateway, settings)


async def _again(
    earlier: idempotency.Claim | idempotency.Replay,
    buyer: Buyer,
    store: CartStore,
    gateway: PaymentGateway,
    settings: Settings,
) -> Placed:
    """The key's earlier request: replay its response, or finish what it left (its order, placed but unanswered)."""
    if isinstance(earlier, idempotency.Replay):
        return Placed(earlier.status, earlier.body.encode(), None, replayed=True)
    return await _answer(earlier, buyer, store, gateway, settings)


async def _answer(
    claimed: idempotency.Claim, buyer: Buyer, store: CartStore, gateway: PaymentGateway, settings: Settings
) -> Placed:
    """After the commit: start the payment, store the response for replays, empty the cart."""
    order_id = claimed.resource_id
    try:
        order = await reads.get_order(order_id)
        start = await gateway.start(PaymentRequest(order.id, order.total, order.currency, order.email, order.phone))
        order = _with_access(msgspec.structs.replace(order, payment=_with_start(order.payment, start)), buyer, settings)
        body = msgspec.json.encode(order)
        await idempotency.finish(claimed, CREATED, body.decode())
    except BaseException:
        with contextlib.suppress(Exception):  # a retry with the same key resumes here at once
            await idempotency.unlock(claimed)
        raise
    await _empty_cart(store, buyer.cart)
    return Placed(CREATED, body, order_id)


def _with_start(payment: Any, start: PaymentStart) -> Any:
    return msgspec.structs.replace(
        payment, client_secret=start.client_secret, publishable_key=start.publishable_key, next_action=start.status
    )


async def _empty_cart(store: CartStore, cart: CartRef) -> None:
    try:
        await store.drop(cart)
    except Exception:  # the order stands; a cart left behind only shows the buyer what they bought
        log.warning("cart_not_emptied", cart_id=cart.id, exc_info=True)


async def _out_of_stock(wanted: dict[str, int]) -> Conflict:
    levels = await inventory.levels(list(wanted))
    short = [
        {"variant_id": variant_id, "requested": quantity, "available": levels[variant_id].available}
        for variant_id, quantity in sorted(wanted.items())
        if variant_id not in levels or levels[variant_id].available < quantity
    ]
    return Conflict("Some items are no longer in stock in the quantity asked.", code="out_of_stock", variants=short)


def _check_lines(lines: list[Any], variants: dict[str, SaleVariant]) -> None:
    """Every variant on sale, pre-orders open on today's Vietnamese date (`market.catalog.preorders`), quantities
    within each variant's bounds."""
    unavailable = [line.variant_id for line in lines if line.variant_id not in variants
                   or not variants[line.variant_id].on_sale]  # fmt: skip
    if unavailable:
        raise Conflict("Some items are no longer on sale.", code="variant_unavailable", variants=unavailable)
    today = clock.today()
    refused: dict[str, list[str]] = {}
    for line in lines:
        variant = variants[line.variant_id]
        if (refusal := preorders.sale_refusal(variant, variant.on_preorder, today)) is not None:
            refused.setdefault(refusal.code, []).append(line.variant_id)
    if not_open := refused.get("preorder_not_open"):
        raise Conflict("Pre-orders have not opened yet for some items.", code="preorder_not_open", variants=not_open)
    if closed := refused.get("preorder_closed"):
        raise Conflict("Pre-orders have closed for some items.", code="preorder_closed", variants=closed)
    errors: list[FieldError] = []
    for index, line in enumerate(lines):
        variant = variants[line.variant_id]
        if line.quantity < variant.min_per_order:
            errors.append(FieldError(f"lines[{index}].quantity", "below_minimum",
                                     f"At least {variant.min_per_order} per order."))  # fmt: skip
        elif variant.max_per_order is not None and line.quantity > variant.max_per_order:
            errors.append(FieldError(f"lines[{index}].quantity", "above_maximum",
                                     f"At most {variant.max_per_order} per order."))  # fmt: skip
    if errors:
        raise ValidationFailed(errors, detail="Some cart lines are outside their variant's limits.")


async def _draft(
    store: CartStore, quoter: Quoter, buyer: Buyer, request: Request, gateway: PaymentGateway, reservation_ttl_s: int
) -> Draft:
    """Read the cart, re-price it from the database and build every row the order needs."""
    lines = await store.lines(buyer.cart, renew=False)  # it is emptied in a moment
    if not lines:
        raise Conflict("The cart is empty.", code="cart_empty")
    variants = await sale_variants([line.variant_id for line in lines])
    _check_lines(lines, variants)
    now = datetime.now(UTC)
    cod = gateway.confirms_at_checkout
    destination = request.address["province_code"]
    draft = Draft(order={"id": new_id("ord")})
    groups: dict[str, list[tuple[Any, SaleVariant]]] = {}
    for line in lines:
        variant = variants[line.variant_id]
        groups.setdefault(variant.seller.id, []).append((line, variant))
        draft.wanted[variant.id] = line.quantity
    routes = [
        Route(items[0][1].pickup_province_code, destination, sum(v.weight_g * line.quantity for line, v in items), cod,
              min(v.shelf_life_days for _, v in items))
        for items in groups.values()
    ]  # fmt: skip
    quotes = await quoter.choose(routes)
    for (seller_id, items), route, shipping in zip(groups.items(), routes, quotes, strict=True):
        seller_order_id = new_id("sor")
        subtotal = sum(variant.price * line.quantity for line, variant in items)
        weight = route.weight_g
        status = "confirmed" if cod else "pending_payment"
        draft.seller_orders.append({
            "id": seller_order_id, "order_id": draft.order["id"], "seller": seller_id, "status": status,
            "payment_method": request.payment_method, "subtotal": subtotal, "final_subtotal": None,
            "shipping_fee": shipping.fee, "shipping_zone": shipping.zone, "shipping_service": shipping.service,
            "transit_days": shipping.transit_days, "total": subtotal + shipping.fee,
            "cod_amount": subtotal + shipping.fee if cod else 0, "weight_g": weight,
            "origin_province_code": items[0][1].pickup_province_code, "destination_province_code": destination,
            "status_reason": None, "cod_remitted": None, "delivered_at": None, "open_returns": 0, "version": 1,
            "created_at": now, "updated_at": now,
        })  # fmt: skip
        draft.history.append({"seller_order": seller_order_id, "from_status": None, "to_status": status,
                              "actor": buyer.actor, "reason": "checkout", "at": now})  # fmt: skip
        for position, (line, variant) in enumerate(items):
            draft.lines.append({
                "id": new_id("oln"), "seller_order": seller_order_id, "position": position,
                "variant_id": variant.id, "product_id": variant.product_id, "sku": variant.sku,
                "product_name": variant.product_name, "unit": variant.unit, "unit_size": variant.unit_size,
                "unit_price": variant.price, "quantity": line.quantity, "weight_g": variant.weight_g,
                "line_total": variant.price * line.quantity, "catch_weight": variant.catch_weight,
                "tolerance_percent": variant.tolerance_percent, "preorder": variant.level.preorder_capacity is not None,
                "packed_weight_g": None, "final_total": None,
            })  # fmt: skip
    draft.seller_orders.sort(key=lambda seller_order: seller_order["id"])  # as reads list them
    subtotal = sum(so["subtotal"] for so in draft.seller_orders)
    shipping_fee = sum(so["shipping_fee"] for so in draft.seller_orders)
    draft.order.update({
        "account_id": buyer.account_id, "guest_cart_id": None if buyer.account_id else buyer.cart.id,
        "email": request.email, "phone": request.phone, "shipping_address": request.address,
        "payment_method": request.payment_method, "payment_status": "cod_pending" if cod else "pending",
        "currency": "VND", "subtotal": subtotal, "shipping_fee": shipping_fee, "total": subtotal + shipping_fee,
        "paid_amount": 0, "reserved_until": None if cod else now + timedelta(seconds=reservation_ttl_s),
        "created_at": now, "updated_at": now,
    })  # fmt: skip
    if not cod:  # the local payment record, written with the order, before the processor hears of it
        draft.payments.append({
            "id": new_id("pay"), "order_id": draft.order["id"], "method": request.payment_method,
            "provider": "stripe", "provider_ref": None, "client_secret": None, "status": "pending",
            "currency": "VND", "amount": subtotal + shipping_fee, "amount_received": 0, "amount_refunded": 0,
            "disputed_at": None, "dispute_reason": None, "created_at": now, "updated_at": now,
        })  # fmt: skip
    return draft


def _body(draft: Draft, start: PaymentStart, buyer: Buyer, settings: Settings) -> bytes:
    order = order_out(draft.order, draft.seller_orders, draft.lines, draft.history, start)
    return msgspec.json.encode(_with_access(order, buyer, settings))


def _with_access(order: OrderOut, buyer: Buyer, settings: Settings) -> OrderOut:
    """A guest's order carries the token that reads it later; a customer's is read with the session."""
    if buyer.account_id is None:
        return msgspec.structs.replace(order, access_token=guest_order_token(settings.secret_key, order.id))
    return order


_LINE_COLUMNS = [column._meta.db_column_name for column in OrderLine._meta.columns]
_LINE_VALUES = ", ".join("r.preorder" if name == "preorder" else f"x.{name}" for name in _LINE_COLUMNS)

_CLAIM = idempotency.claim_cte("(SELECT ok FROM verdict)", "$8", "$9", "$10", "$11", "$12")

# One statement, so one implicit transaction: lock the lines' stock rows in variant order and, only when every line
# fits and the Idempotency-Key is new, claim the key (with the response, for COD), reserve the stock and write the
# order, its seller orders, lines (each marked as reserved from stock or from a pre-order capacity), history and
# outbox events.
PLACE_SQL = f"""
WITH {
    reservation_ctes(
        "$1",
        "$2",
        gate="EXISTS (SELECT 1 FROM claimed)",
        before_reserving=idempotency.claim_cte("(SELECT ok FROM verdict)", "$8", "$9", "$10", "$11", "$12"),
    )
},
o AS (
    INSERT INTO orders SELECT * FROM jsonb_populate_record(NULL::orders, $3::jsonb) WHERE EXISTS (SELECT 1 FROM claimed)
),
so AS (
    INSERT INTO seller_order SELECT * FROM jsonb_populate_recordset(NULL::seller_order, $4::jsonb)
    WHERE EXISTS (SELECT 1 FROM claimed)
),
ln AS (
    INSERT INTO order_line ({", ".join(_LINE_COLUMNS)})
    SELECT {_LINE_VALUES}
    FROM jsonb_populate_recordset(NULL::order_line, $5::jsonb) x JOIN reserved r USING (variant_id)
),
tr AS (
    INSERT INTO seller_order_transition (seller_order, from_status, to_status, actor, reason, at)
    SELECT * FROM jsonb_to_recordset($6::jsonb)
        AS t(seller_order varchar, from_status varchar, to_status varchar, actor varchar, reason text, at timestamptz)
    WHERE EXISTS (SELECT 1 FROM claimed)
),
ev AS (
    INSERT INTO outbox_event (event_id, type, payload, occurred_at, publish_count)
    SELECT event_id, type, payload, now(), 0
    FROM jsonb_to_recordset($7::jsonb) AS e(event_id varchar, type varchar, payload jsonb)
    WHERE EXISTS (SELECT 1 FROM claimed)
),
pay AS (
    INSERT INTO payment SELECT * FROM jsonb_populate_recordset(NULL::payment, $13::jsonb)
    WHERE EXISTS (SELECT 1 FROM claimed)
)
SELECT EXISTS (SELECT 1 FROM claimed) AS claimed
"""  # noqa: S608 (built from constants: the reservation clauses and the table's own column names)


def _place_args(draft: Draft, scope_key: str, request_hash: str, body: bytes | None) -> list[Any]:
    order_id = draft.order["id"]
    events = [
        {"event_id": new_id("evt"), "type": "order.created", "payload": {
            "order_id": order_id, "payment_method": draft.order["payment_method"],
            "seller_order_ids": [so["id"] for so in draft.seller_orders]}},
        {"event_id": new_id("evt"), "type": "stock.updated",
         "payload": {"product_ids": sorted({line["product_id"] for line in draft.lines})}},
    ]  # fmt: skip
    encode = msgspec.json.encode
    variant_ids = sorted(draft.wanted)
    return [
        variant_ids,
        [draft.wanted[variant_id] for variant_id in variant_ids],
        encode(draft.order).decode(),
        encode(draft.seller_orders).decode(),
        encode(draft.lines).decode(),
        encode(draft.history).decode(),
        encode(events).decode(),
        scope_key,
        request_hash,
        order_id,
        CREATED if body is not None else None,
        body.decode() if body is not None else None,
        encode(draft.payments).decode(),
    ]
