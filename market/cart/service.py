"""Carts: add, change and remove lines by variant and quantity, read them with current prices and stock, and merge a
guest's cart into the customer's at sign-in.

A change checks the variant against the catalog (on sale, min/max per order, available stock) and then lets one
Lua script apply it atomically (`market.cart.store`). The catalog facts a change needs are read once a second at
most per variant and process (`CHANGE_CACHE_S`): adding to a cart is the storefront's hottest write and a cart is not
a reservation; the cart answer always reads them fresh and warns of whatever changed, and checkout checks again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from market.cart.store import Bounds, CartRef, CartStore, Outcome, StoredLine
from market.cart.tokens import customer_cart_id, verify_guest_token
from market.catalog import preorders
from market.catalog.reads import SaleVariant, sale_variants
from market.core import clock
from market.core.errors import Conflict, NotFound, field_error
from market.shipping.estimates import Place, SellerShipping, checked_place, estimate, items_on_sale
from market.shipping.quotes import Quoter

CHANGE_CACHE_S = 1.0
_CACHE_MAX = 10_000
_cache: dict[str, tuple[float, SaleVariant]] = {}


@dataclass(frozen=True)
class CartContents:
    """A cart's stored lines and the current catalog facts of their variants; once the buyer said where the
    parcels go, that destination and each seller's parcel quoted to it."""

    cart: CartRef
    lines: list[StoredLine]
    variants: dict[str, SaleVariant]
    destination: Place | None = None
    shipping: list[SellerShipping] | None = None


def customer_cart(secret: str, account_id: str) -> CartRef:
    return CartRef(customer_cart_id(secret, account_id), customer=True)


def guest_cart(secret: str, token: str) -> CartRef:
    """The guest cart a token opens; 401 `invalid_cart_token` for a token this API did not sign."""
    return CartRef(verify_guest_token(secret, token), customer=False)


async def _variant(variant_id: str) -> SaleVariant:
    now = time.monotonic()
    cached = _cache.get(variant_id)
    if cached is not None and cached[0] > now:
        variant = cached[1]
    else:
        found = (await sale_variants([variant_id])).get(variant_id)
        if found is None:
            raise field_error("variant_id", "unknown_variant", "No such variant.")
        if len(_cache) >= _CACHE_MAX:
            _cache.clear()
        _cache[variant_id] = (now + CHANGE_CACHE_S, found)
        variant = found
    if not variant.on_sale:
        raise field_error("variant_id", "variant_unavailable", "This variant is not on sale.")
    refusal = preorders.sale_refusal(variant, variant.on_preorder, clock.today())
    if refusal is not None:
        raise refusal
    return variant


def _bounds(variant: SaleVariant) -> Bounds:
    return Bounds(variant.min_per_order, variant.max_per_order or 0, variant.level.available)


def _refuse(outcome: Outcome, variant: SaleVariant, quantity_now: int) -> None:
    if outcome is Outcome.CART_FULL:
        raise Conflict("A cart holds at most 100 lines.", code="cart_full")
    if outcome is Outcome.BELOW_MINIMUM:
        raise field_error("quantity", "below_minimum", f"At least {variant.min_per_order} per order.")
    if outcome is Outcome.ABOVE_MAXIMUM:
        raise field_error(
            "quantity", "above_maximum", f"At most {variant.max_per_order} per order ({quantity_now} in the cart)."
        )
    if outcome is Outcome.INSUFFICIENT_STOCK:
        available = variant.level.available
        raise Conflict(
            f"Only {available} left ({quantity_now} in the cart).", code="insufficient_stock", available=available
        )
    if outcome is Outcome.NO_SUCH_LINE:
        raise NotFound("This cart has no line for this variant.")


async def add_line(store: CartStore, cart: CartRef, variant_id: str, quantity: int) -> tuple[int, int]:
    """Add `quantity` of a variant (a new line, or more of an existing one); returns (quantity now, price)."""
    variant = await _variant(variant_id)
    outcome, now = await store.change(cart, variant_id, "add", quantity, variant.price, _bounds(variant))
    _refuse(outcome, variant, now)
    return now, variant.price


async def set_line(store: CartStore, cart: CartRef, variant_id: str, quantity: int) -> tuple[int, int]:
    """Set the quantity of an existing line; returns (quantity now, price)."""
    variant = await _variant(variant_id)
    outcome, now = await store.change(cart, variant_id, "set", quantity, variant.price, _bounds(variant))
    _refuse(outcome, variant, now)
    return now, variant.price


async def remove_line(store: CartStore, cart: CartRef, variant_id: str) -> None:
    if not await store.remove(cart, variant_id):
        raise NotFound("This cart has no line for this variant.")


async def contents(store: CartStore, cart: CartRef, quoter: Quoter | None = None) -> CartContents:
    """The lines and the current facts of their variants (two round trips: Redis, then one SQL query) and, given
    the quoter and once the cart has a destination, each seller's parcel quoted to it as checkout will charge it
    for cash on delivery (from the process's copy of the quotes, or one more Redis round trip; see
    `market.shipping.quotes`)."""
    stored = await store.read(cart)
    variants = await sale_variants([line.variant_id for line in stored.lines])
    shipping = None
    if quoter is not None and stored.destination is not None:
        shipping = await estimate(quoter, items_on_sale(stored.lines, variants), stored.destination, cod=True)
    return CartContents(cart, stored.lines, variants, stored.destination, shipping)


async def set_destination(store: CartStore, cart: CartRef, province_code: int, ward_code: int | None) -> None:
    """Store where the cart's parcels go; 422 `unknown_province` or `unknown_ward` for a place not in the units
    catalog."""
    await store.set_destination(cart, checked_place(province_code, ward_code))


async def clear_destination(store: CartStore, cart: CartRef) -> None:
    await store.clear_destination(cart)


async def merge_guest(store: CartStore, guest: CartRef, customer: CartRef) -> int:
    """Move a guest cart's lines into the customer's cart (quantities added, each capped at the variant's maximum
    per order; lines beyond 100 are dropped) and delete the guest cart; returns the number of lines merged."""
    variant_ids = await store.variant_ids(guest)
    variants = await sale_variants(variant_ids)
    caps = {variant_id: variant.max_per_order or 0 for variant_id, variant in variants.items()}
    merged, _dropped = await store.merge(guest, customer, caps)
    return merged


async def drop_customer_cart(store: CartStore, secret: str, account_id: str) -> None:
    """Delete an account's cart (account deletion)."""
    await store.drop(customer_cart(secret, account_id))
