"""What crosses HTTP for shipping quotes and the cart's shipping estimate (msgspec)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from market.accounts.schemas import ProvinceCode, WardCode
from market.checkout.schemas import PaymentMethod
from market.core.schemas import Input, UnitOut
from market.sellers.schemas import SellerCard

VariantId = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=10_000)]


class DestinationIn(Input):
    """Where parcels go: a province and, optionally, one of its wards (codes of `GET /api/v1/geo/provinces`)."""

    province_code: ProvinceCode
    ward_code: WardCode | None = None


class QuoteItemIn(Input):
    variant_id: VariantId
    quantity: Quantity = 1


class QuoteIn(Input):
    """Quote `items`, or the caller's cart when they are left out; to `destination`, to `shipping_address_id` (an
    address of a signed-in buyer's book) or, for the cart, to the destination it stores. `payment_method` as at
    checkout (cash on delivery by default)."""

    items: Annotated[list[QuoteItemIn], msgspec.Meta(min_length=1, max_length=100)] | None = None
    destination: DestinationIn | None = None
    shipping_address_id: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    payment_method: PaymentMethod = "cod"


class ServiceOut(msgspec.Struct):
    service: str
    shipping_fee: int
    transit_days: int
    currency: str = "VND"
    object: str = "shipping_service"


class PerishabilityOut(msgspec.Struct):
    """The rule applied: services whose transit time exceeds the shortest shelf life in the parcel are refused."""

    shelf_life_days: int
    refused_services: list[ServiceOut]


class ShippingEstimateOut(msgspec.Struct):
    """One seller's parcel: the service checkout takes (the cheapest fast enough), its fee and transit days.
    `available` is false, with `unavailable_code` `no_shipping_service`, when no service is fast enough."""

    available: bool
    service: str | None
    shipping_fee: int | None
    transit_days: int | None
    zone: str
    weight_g: int
    origin_province: UnitOut
    perishability: PerishabilityOut
    unavailable_code: str | None = None
    currency: str = "VND"
    object: str = "shipping_estimate"


class DestinationOut(msgspec.Struct):
    province: UnitOut
    ward: UnitOut | None
    units_version: str
    object: str = "shipping_destination"


class SellerQuoteOut(msgspec.Struct):
    seller: SellerCard
    shipping: ShippingEstimateOut
    object: str = "seller_shipping_quote"


class ShippingQuoteOut(msgspec.Struct):
    """Shipping per seller as checkout will charge it; `shipping_fee` is their sum, null when some parcel cannot
    be carried (`deliverable` false). A quote is computed, never stored: it has no id."""

    destination: DestinationOut
    payment_method: str
    sellers: list[SellerQuoteOut]
    shipping_fee: int | None
    deliverable: bool
    currency: str = "VND"
    object: str = "shipping_quote"
