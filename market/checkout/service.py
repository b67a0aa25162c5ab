"""Placing an order from a cart, idempotently, in one transaction. Checkout orchestrates; the orders context drafts
the order's rows (`market.orders.drafts`) and the payments context the card payment's, as typed values.

Before it: read the cart (Redis), re-price every line from the database, quote each seller's parcel and draft the
rows. Then one statement, and so one transaction, with no call to any other system: claim the Idempotency-Key,
reserve every line's stock all or nothing (conditional updates, rows locked in variant order) and, only when
everything fits, write the order, its seller orders, lines with their snapshots, history, payment, outbox events
and the idempotency recovery point. After it: start the payment through its gateway, store the response for
replays and empty the cart.

A cash-on-delivery checkout sends PostgreSQL two statements (read and price, then reserve and write) and Redis two
round trips (read the cart, drop it); a crash anywhere leaves either the whole order with its reservations or
nothing.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import msgspec
import structlog

from market.banking.reference import reference_of
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
from market.orders import drafts, reads
from market.orders.drafts import Bought, OrderDraft, Part, Placing, ShippingAddress
from market.orders.mapping import order_out
from market.orders.reads import guest_order_token
from market.orders.schemas import OrderOut
from market.payments import service as payments
from market.payments.gateway import PaymentGateway, PaymentRequest, PaymentStart
from market.payments.registry import gateway_for
from market.settings import Settings
from market.shipping.quotes import Quoter, by_seller, parcel_route

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


@dataclass(frozen=True)
class Draft:
    """What one checkout writes, built before its transaction: the order's rows (by the orders context) and, for a
    card, the payment's (by the payments context)."""

    order: OrderDraft
    payments: list[payments.PaymentRow]


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
        draft = await _draft(
            store, quoter, buyer, request, gateway, settings.reservation_ttl_s, settings.bank_reference_prefix
        )
    except DomainError:
        earlier = await idempotency.lookup(buyer.scope, key, request_hash)  # a replay finds its cart empty
        if earlier is None:
            raise
        return await _again(earlier, buyer, store, gateway, settings)
    # cash on delivery and bank transfers need no call to anyone: their answer is written with the order
    row = draft.order.order
    ready = gateway.prepared(PaymentRequest(row.id, row.total, row.currency, row.email, row.phone,
                                            row.reserved_until))  # fmt: skip
    cod_body = _body(draft, ready, buyer, settings) if ready is not None else None
    placed = (await fetch(PLACE_SQL, *_place_args(draft, scope_key, request_hash, cod_body)))[0]
    if not placed["claimed"]:
        earlier = await idempotency.lookup(buyer.scope, key, request_hash)
        if earlier is None:
            raise await _out_of_stock(draft.order.wanted)
        return await _again(earlier, buyer, store, gateway, settings)
    order_id = draft.order.order.id
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
    store: CartStore,
    quoter: Quoter,
    buyer: Buyer,
    request: Request,
    gateway: PaymentGateway,
    reservation_ttl_s: int,
    settings_prefix: str = "MK",
) -> Draft:
    """Read the cart, re-price it from the database, quote each seller's parcel and have the orders context (and
    for a card, the payments context) draft every row."""
    lines = await store.lines(buyer.cart, renew=False)  # it is emptied in a moment
    if not lines:
        raise Conflict("The cart is empty.", code="cart_empty")
    variants = await sale_variants([line.variant_id for line in lines])
    _check_lines(lines, variants)
    now = clock.now()
    cod = gateway.confirms_at_checkout
    address = msgspec.convert(request.address, ShippingAddress)
    groups = by_seller(Bought(variants[line.variant_id], line.quantity) for line in lines)
    routes = [parcel_route(items, address.province_code, cod) for items in groups.values()]
    quotes = await quoter.choose(routes)
    parts = [Part(seller_id, items, shipping, route.weight_g)
             for (seller_id, items), route, shipping in zip(groups.items(), routes, quotes, strict=True)]  # fmt: skip
    placing = Placing(
        account_id=buyer.account_id, guest_cart_id=None if buyer.account_id else buyer.cart.id, actor=buyer.actor,
        email=request.email, phone=request.phone, address=address, payment_method=request.payment_method, cod=cod,
        reserved_until=None if cod else now + timedelta(seconds=reservation_ttl_s),
    )  # fmt: skip
    order = drafts.draft_order(placing, parts, now)
    # a card's (or bank transfer's) local payment record is written with the order, before anyone hears of it
    card = [] if cod else [payments.draft_payment(order.order.id, request.payment_method, order.order.total, now,
                                                  reference_of(order.order.id, settings_prefix))]  # fmt: skip
    return Draft(order, card)


def _body(draft: Draft, start: PaymentStart, buyer: Buyer, settings: Settings) -> bytes:
    order = order_out(*draft.order.as_rows(), None, start)
    return msgspec.json.encode(_with_access(order, buyer, settings))


def _with_access(order: OrderOut, buyer: Buyer, settings: Settings) -> OrderOut:
    """A guest's order carries the token that reads it later; a customer's is read with the session."""
    if buyer.account_id is None:
        return msgspec.structs.replace(order, access_token=guest_order_token(settings.secret_key, order.id))
    return order


_CLAIMED = "EXISTS (SELECT 1 FROM claimed)"

# One statement, so one implicit transaction: lock the lines' stock rows in variant order and, only when every line
# fits and the Idempotency-Key is new, claim the key (with the response, for COD), reserve the stock and write the
# order, its seller orders, lines (each marked as reserved from stock or from a pre-order capacity), history,
# payment and outbox events (the orders and payments contexts write the clauses of their own rows).
PLACE_SQL = f"""
WITH {
    reservation_ctes(
        "$1",
        "$2",
        gate=_CLAIMED,
        before_reserving=idempotency.claim_cte("(SELECT ok FROM verdict)", "$8", "$9", "$10", "$11", "$12"),
    )
},
{drafts.insert_ctes(_CLAIMED, "$3", "$4", "$5", "$6")},
ev AS (
    INSERT INTO outbox_event (event_id, type, payload, occurred_at, publish_count)
    SELECT event_id, type, payload, now(), 0
    FROM jsonb_to_recordset($7::jsonb) AS e(event_id varchar, type varchar, payload jsonb)
    WHERE {_CLAIMED}
),
{payments.insert_cte(_CLAIMED, "$13")}
SELECT {_CLAIMED} AS claimed
"""  # noqa: S608 (built from constants: the contexts' clauses and placeholders)


def _place_args(draft: Draft, scope_key: str, request_hash: str, body: bytes | None) -> list[Any]:
    order = draft.order
    events = [
        {"event_id": new_id("evt"), "type": "order.created", "payload": {
            "order_id": order.order.id, "payment_method": order.order.payment_method,
            "seller_order_ids": [so.id for so in order.seller_orders]}},
        {"event_id": new_id("evt"), "type": "stock.updated",
         "payload": {"product_ids": sorted({line.product_id for line in order.lines})}},
    ]  # fmt: skip
    wanted = order.wanted
    variant_ids = sorted(wanted)
    return [
        variant_ids,
        [wanted[variant_id] for variant_id in variant_ids],
        drafts.encode(order.order),
        drafts.encode(order.seller_orders),
        drafts.encode(order.lines),
        drafts.encode(order.history),
        drafts.encode(events),
        scope_key,
        request_hash,
        order.order.id,
        CREATED if body is not None else None,
        body.decode() if body is not None else None,
        drafts.encode(draft.payments),
    ]
