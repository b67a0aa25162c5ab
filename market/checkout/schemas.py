"""What crosses HTTP at checkout (msgspec)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from market.accounts.schemas import Phone, ShippingAddressIn
from market.core.schemas import Input

PaymentMethod = Literal["card", "cod", "bank_transfer"]


class ContactIn(Input):
    """How to reach the buyer about the order; a guest must give both."""

    phone: Phone
    email: Annotated[str, msgspec.Meta(max_length=254)] | None = None


class CheckoutIn(Input):
    """Check out the current cart: ship to an address of the book (`shipping_address_id`) or to one given here."""

    payment_method: PaymentMethod
    shipping_address_id: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    shipping_address: ShippingAddressIn | None = None
    contact: ContactIn | None = None
