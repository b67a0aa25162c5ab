"""What crosses HTTP at checkout (msgspec)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from market.accounts.schemas import Phone, ProvinceCode, Street, WardCode
from market.core.schemas import Input, Name

PaymentMethod = Literal["card", "cod"]


class ShippingAddressIn(Input):
    recipient_name: Name
    phone: Phone
    street: Street
    ward_code: WardCode
    province_code: ProvinceCode


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
