"""`POST /api/v1/checkout`: the buyer's cart (session) or a guest's (`Cart-Token`) becomes an order."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, Response, post
from litestar.openapi.datastructures import ResponseSpec

from market.accounts.addresses import address_snapshot, get_address, snapshot_of
from market.accounts.service import normalise_email, normalise_phone
from market.cart.api import CartToken, cart_store
from market.cart.service import customer_cart, guest_cart
from market.checkout import service
from market.checkout.schemas import CheckoutIn
from market.core.errors import FieldError, NotAuthenticated, ValidationFailed, field_error
from market.core.idempotency import service as idempotency
from market.core.ratelimit import AuthLimits
from market.core.resources import Resources
from market.orders.schemas import OrderOut
from market.shipping.registry import quoter_for
from market.web.clients import client_address
from market.web.deps import IdempotencyKeyHeader, ResourcesDep
from market.web.openapi.routes import RATE_LIMITED
from market.web.sessions import current_buyer


def _buyer(request: Request[Any, Any, Any], resources: Resources, token: str | None) -> service.Buyer:
    secret = resources.settings.secret_key
    signed_in = current_buyer(request)
    if signed_in is not None:
        cart = customer_cart(secret, signed_in.account_id)
        return service.Buyer(signed_in.account_id, signed_in.account_id, cart, f"customer:{signed_in.account_id}")
    if token:
        cart = guest_cart(secret, token)
        return service.Buyer(f"guest:{cart.id}", None, cart, "guest")
    raise NotAuthenticated("Sign in, or send the Cart-Token of a guest cart.")


async def _request(data: CheckoutIn, buyer: service.Buyer) -> service.Request:
    """The validated shipping address and contact."""
    if data.shipping_address_id is not None and data.shipping_address is not None:
        raise field_error("shipping_address_id", "one_address", "Give shipping_address_id or shipping_address.")
    if data.shipping_address_id is not None:
        if buyer.account_id is None:
            raise field_error("shipping_address_id", "sign_in_required", "Guests give the shipping_address itself.")
        address = snapshot_of(await get_address(buyer.account_id, data.shipping_address_id))
    elif data.shipping_address is not None:
        address = address_snapshot(msgspec.structs.asdict(data.shipping_address), "shipping_address.")
    else:
        raise field_error("shipping_address", "required", "Give shipping_address_id or shipping_address.")
    if buyer.account_id is None and (data.contact is None or not data.contact.email):
        raise ValidationFailed([FieldError("contact.email", "required", "A guest gives an email and a phone.")])
    phone, email = address["phone"], None
    if data.contact is not None:
        phone = normalise_phone(data.contact.phone, "contact.phone")
        email = normalise_email(data.contact.email, "contact.email") if data.contact.email else None
    return service.Request(address, data.payment_method, phone, email)


class CheckoutController(Controller):
    path = "/checkout"
    tags = ["storefront: checkout"]

    @post(
        "/",
        operation_id="checkout",
        status_code=201,
        opt={RATE_LIMITED: True},
        responses={201: ResponseSpec(OrderOut, description="The order (or the first response, replayed).")},
    )
    async def checkout(
        self,
        data: CheckoutIn,
        request: Request[Any, Any, Any],
        resources: ResourcesDep,
        cart_token: CartToken,
        idempotency_key: IdempotencyKeyHeader,
    ) -> Response[bytes]:
        """Place an order from the cart: stock reserved, one seller order per seller; needs an Idempotency-Key."""
        key = idempotency.checked_key(idempotency_key)
        buyer = _buyer(request, resources, cart_token)
        if buyer.account_id is None:  # anonymous cash-on-delivery orders hold stock: a flood is limited
            address = client_address(request, resources.settings.trusted_proxy_header)
            per_minute = resources.settings.guest_checkouts_per_address
            await AuthLimits(resources, "guest-checkout").address(address, per_minute)
        wanted = await _request(data, buyer)
        fingerprint = idempotency.fingerprint(b"POST /api/v1/checkout", msgspec.json.encode(data, order="sorted"))
        quoter = quoter_for(resources.settings, resources.redis)
        placed = await service.place_order(
            cart_store(resources), quoter, buyer, wanted, key, fingerprint, resources.settings
        )
        headers = {"Idempotent-Replayed": "true"} if placed.replayed else {}
        order_id = placed.order_id or (_created_id(placed.body) if placed.status == 201 else None)
        if order_id:  # a replayed 201 names its order too
            headers["Location"] = f"/api/v1/orders/{order_id}"
        return Response(placed.body, status_code=placed.status, media_type="application/json", headers=headers)


class _Created(msgspec.Struct):
    id: str


def _created_id(body: bytes) -> str | None:
    try:
        return msgspec.json.decode(body, type=_Created).id
    except msgspec.DecodeError:
        return None
