"""`POST /api/v1/shipping/quotes`: shipping per seller before the order, as checkout will charge it."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, post

from market.accounts.addresses import get_address
from market.accounts.sessions import current_buyer
from market.cart import service as carts
from market.cart.api import CartToken, cart_store, current_cart
from market.core.deps import ResourcesDep
from market.core.errors import field_error
from market.core.resources import Resources
from market.payments.registry import gateway_for
from market.shipping import estimates
from market.shipping.estimates import Item, Place
from market.shipping.quote_mapping import quote_out
from market.shipping.quote_schemas import QuoteIn, ShippingQuoteOut
from market.shipping.registry import quoter_for


async def _items(
    data: QuoteIn, request: Request[Any, Any, Any], resources: Resources, token: str | None
) -> tuple[list[Item], Place | None]:
    """The items asked about, or the caller's cart's lines on sale with the cart's destination."""
    if data.items is not None:
        return await estimates.items_of(data.items), None
    cart = await carts.contents(cart_store(resources), current_cart(request, resources, token))
    return estimates.items_on_sale(cart.lines, cart.variants), cart.destination


async def _destination(data: QuoteIn, request: Request[Any, Any, Any], stored: Place | None) -> Place:
    if data.destination is not None and data.shipping_address_id is not None:
        raise field_error("shipping_address_id", "one_address", "Give destination or shipping_address_id.")
    if data.destination is not None:
        return estimates.checked_place(data.destination.province_code, data.destination.ward_code, "destination.")
    if data.shipping_address_id is not None:
        buyer = current_buyer(request)
        if buyer is None:
            raise field_error("shipping_address_id", "sign_in_required", "Guests give the destination itself.")
        address = await get_address(buyer.account_id, data.shipping_address_id)  # anyone else's: 404
        return Place(address.province_code, address.ward_code)
    if stored is None:
        raise field_error("destination", "required", "Give destination or shipping_address_id.")
    return stored


class ShippingQuoteController(Controller):
    path = "/shipping/quotes"
    tags = ["storefront: checkout"]

    @post("/", operation_id="shipping_quotes_create", status_code=200)
    async def quote(
        self, data: QuoteIn, request: Request[Any, Any, Any], resources: ResourcesDep, cart_token: CartToken
    ) -> ShippingQuoteOut:
        """Shipping per seller for items or the cart, to a destination: fee, service, transit days, perishability."""
        cod = gateway_for(data.payment_method, resources.settings).confirms_at_checkout
        items, stored = await _items(data, request, resources, cart_token)
        place = await _destination(data, request, stored)
        quoter = quoter_for(resources.settings, resources.redis)
        return quote_out(place, data.payment_method, await estimates.estimate(quoter, items, place, cod))
