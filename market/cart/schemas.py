"""What crosses HTTP for carts."""

from __future__ import annotations

from typing import Annotated

import msgspec

from market.core.schemas import Input
from market.sellers.schemas import SellerCard
from market.shipping.quote_schemas import DestinationOut, ShippingEstimateOut

VariantId = Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=10_000)]


class LineIn(Input):
    variant_id: VariantId
    quantity: Quantity = 1


class LineUpdate(Input):
    quantity: Quantity


class LineOut(msgspec.Struct):
    """A line as a change left it (read the cart for prices, stock and warnings of every line)."""

    cart_id: str
    variant_id: str
    quantity: int
    price: int
    currency: str = "VND"
    object: str = "cart_line"


class CartProductOut(msgspec.Struct):
    id: str
    name: str
    slug: str
    image: str | None


class EstimateOut(msgspec.Struct):
    """A catch-weight line: the amount follows the packed weight, within ± `tolerance_percent`."""

    tolerance_percent: int
    amount_min: int
    amount_max: int


class HarvestOut(msgspec.Struct):
    """A pre-order line: delivered after the harvest window."""

    opens_on: str | None
    harvest_from: str
    harvest_to: str | None


class LineWarning(msgspec.Struct):
    """Something changed since the line was added: `price_changed`, `insufficient_stock`, `out_of_stock`,
    `unavailable`, `above_maximum`, `below_minimum`."""

    code: str
    message: str
    previous_price: int | None = None
    available: int | None = None


class CartLineOut(msgspec.Struct):
    variant_id: str
    product: CartProductOut
    sku: str
    unit: str
    unit_size: str
    quantity: int
    price: int
    price_when_added: int
    line_total: int
    available: int
    min_per_order: int
    max_per_order: int | None
    purchasable: bool
    warnings: list[LineWarning]
    catch_weight: EstimateOut | None
    preorder: HarvestOut | None
    added_at: str | None
    object: str = "cart_line"


class SellerGroupOut(msgspec.Struct):
    """The lines of one seller (one parcel at checkout); `subtotal` counts its purchasable lines. `shipping`: the
    parcel's estimate once the cart has a destination (null before, or when none of its lines is on sale)."""

    seller: SellerCard
    lines: list[CartLineOut]
    subtotal: int
    shipping: ShippingEstimateOut | None = None
    currency: str = "VND"
    object: str = "cart_seller_group"


class CartOut(msgspec.Struct):
    """The cart. Once it has a `destination`, each group carries its `shipping` estimate, `shipping_fee` their sum
    (null when some parcel cannot be carried) and `total` the subtotal with shipping."""

    id: str
    kind: str
    groups: list[SellerGroupOut]
    line_count: int
    item_count: int
    subtotal: int
    has_warnings: bool
    expires_at: str | None
    token: str | None = None
    destination: DestinationOut | None = None
    shipping_fee: int | None = None
    total: int | None = None
    currency: str = "VND"
    object: str = "cart"
