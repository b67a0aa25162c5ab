"""What crosses HTTP for the catalog."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

import msgspec

from market.core.schemas import Input, LongText, UnitOut
from market.sellers.schemas import SellerCard

Unit = Literal["kg", "g", "bó", "trái", "quả", "thùng", "hộp", "túi", "lít"]
Storage = Literal["ambient", "chilled", "frozen"]
CertificationType = Literal["vietgap", "globalgap", "organic", "ocop"]
Price = Annotated[int, msgspec.Meta(ge=1, le=1_000_000_000)]
Quantity = Annotated[int, msgspec.Meta(ge=0, le=10_000_000)]
Sku = Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9._\-/]+$")]
ImageUrl = Annotated[str, msgspec.Meta(max_length=2000)]


class OriginIn(Input):
    province_code: Annotated[int, msgspec.Meta(ge=1, le=99)]
    ward_code: Annotated[int, msgspec.Meta(ge=1, le=99_999)] | None = None
    farm: Annotated[str, msgspec.Meta(max_length=160)] | None = None


class CertificationIn(Input):
    type: CertificationType
    number: Annotated[str, msgspec.Meta(min_length=1, max_length=60)]
    issuer: Annotated[str, msgspec.Meta(min_length=1, max_length=160)]
    valid_until: date
    scope: Annotated[str, msgspec.Meta(max_length=200)] | None = None
    ocop_stars: Annotated[int, msgspec.Meta(ge=3, le=5)] | None = None


class PreorderIn(Input):
    opens_on: date
    harvest_from: date
    harvest_to: date
    capacity: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]


class VariantIn(Input):
    sku: Sku
    unit: Unit
    unit_size: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    price: Price
    weight_g: Annotated[int, msgspec.Meta(ge=1, le=100_000)]
    stock: Quantity | None = None
    preorder: PreorderIn | None = None
    compare_at_price: Price | None = None
    catch_weight: bool = False
    tolerance_percent: Annotated[int, msgspec.Meta(ge=1, le=50)] | None = None
    min_per_order: Annotated[int, msgspec.Meta(ge=1, le=10_000)] = 1
    max_per_order: Annotated[int, msgspec.Meta(ge=1, le=10_000)] | None = None


class VariantUpdate(Input):
    unit_size: Annotated[str, msgspec.Meta(min_length=1, max_length=40)] | msgspec.UnsetType = msgspec.UNSET
    price: Price | msgspec.UnsetType = msgspec.UNSET
    compare_at_price: Price | msgspec.UnsetType | None = msgspec.UNSET
    weight_g: Annotated[int, msgspec.Meta(ge=1, le=100_000)] | msgspec.UnsetType = msgspec.UNSET
    stock: Quantity | msgspec.UnsetType = msgspec.UNSET
    preorder_capacity: Quantity | msgspec.UnsetType = msgspec.UNSET
    catch_weight: bool | msgspec.UnsetType = msgspec.UNSET
    tolerance_percent: Annotated[int, msgspec.Meta(ge=1, le=50)] | msgspec.UnsetType | None = msgspec.UNSET
    min_per_order: Annotated[int, msgspec.Meta(ge=1, le=10_000)] | msgspec.UnsetType = msgspec.UNSET
    max_per_order: Annotated[int, msgspec.Meta(ge=1, le=10000)] | msgspec.UnsetType | None = msgspec.UNSET


class ProductIn(Input):
    name: Annotated[str, msgspec.Meta(min_length=2, max_length=160)]
    category: Annotated[str, msgspec.Meta(min_length=1, max_length=80)]
    origin: OriginIn
    storage: Storage
    shelf_life_days: Annotated[int, msgspec.Meta(ge=1, le=3650)]
    variants: Annotated[list[VariantIn], msgspec.Meta(min_length=1, max_length=20)]
    description: LongText = ""
    images: Annotated[list[ImageUrl], msgspec.Meta(max_length=10)] = []
    certifications: Annotated[list[CertificationIn], msgspec.Meta(max_length=10)] = []


class ProductUpdate(Input):
    name: Annotated[str, msgspec.Meta(min_length=2, max_length=160)] | msgspec.UnsetType = msgspec.UNSET
    category: Annotated[str, msgspec.Meta(min_length=1, max_length=80)] | msgspec.UnsetType = msgspec.UNSET
    origin: OriginIn | msgspec.UnsetType = msgspec.UNSET
    storage: Storage | msgspec.UnsetType = msgspec.UNSET
    shelf_life_days: Annotated[int, msgspec.Meta(ge=1, le=3650)] | msgspec.UnsetType = msgspec.UNSET
    description: LongText | msgspec.UnsetType = msgspec.UNSET
    images: Annotated[list[ImageUrl], msgspec.Meta(max_length=10)] | msgspec.UnsetType = msgspec.UNSET
    certifications: Annotated[list[CertificationIn], msgspec.Meta(max_length=10)] | msgspec.UnsetType = msgspec.UNSET


class BulkItemIn(Input):
    sku: Sku | None = None
    variant_id: Annotated[str, msgspec.Meta(max_length=40)] | None = None
    stock: Quantity | None = None
    price: Price | None = None


class BulkUpdateIn(Input):
    items: Annotated[list[BulkItemIn], msgspec.Meta(min_length=1, max_length=1000)]


class BulkError(msgspec.Struct):
    code: str
    field: str
    message: str


class BulkItemResult(msgspec.Struct):
    index: int
    status: Literal["updated", "failed"]
    sku: str | None = None
    variant_id: str | None = None
    price: int | None = None
    stock: int | None = None
    error: BulkError | None = None


class BulkUpdateOut(msgspec.Struct):
    updated: int
    failed: int
    results: list[BulkItemResult]
    object: str = "bulk_update_result"


class CategoryOut(msgspec.Struct):
    id: str
    name: str
    slug: str
    path: str
    children: list[CategoryOut]
    object: str = "category"


class CertificationOut(msgspec.Struct):
    type: str
    number: str
    issuer: str
    valid_until: str
    scope: str | None
    ocop_stars: int | None
    expired: bool


class PreorderOut(msgspec.Struct):
    """A pre-order window (Vietnamese dates) and where it stands today: `upcoming`, `open`, `closed` (after
    `harvest_to`) or `harvested` (then `harvested_quantity` is set and the variant sells from stock)."""

    opens_on: str
    harvest_from: str
    harvest_to: str
    capacity: int
    remaining: int
    status: str
    harvested_quantity: int | None = None


class VariantOut(msgspec.Struct):
    id: str
    sku: str
    unit: str
    unit_size: str
    price: int
    compare_at_price: int | None
    weight_g: int
    catch_weight: bool
    tolerance_percent: int | None
    min_per_order: int
    max_per_order: int | None
    status: str
    available: int
    stock: int | None
    preorder: PreorderOut | None
    currency: str = "VND"
    object: str = "variant"


class OriginOut(msgspec.Struct):
    province: UnitOut
    ward: UnitOut | None
    farm: str | None


class ProductOut(msgspec.Struct):
    """A product as its seller sees it."""

    id: str
    name: str
    slug: str
    description: str
    category: str
    origin: OriginOut
    images: list[str]
    storage: str
    shelf_life_days: int
    status: str
    rejection_reason: str | None
    certifications: list[CertificationOut]
    variants: list[VariantOut]
    created_at: str | None
    updated_at: str | None
    object: str = "product"


class ProductSummary(msgspec.Struct):
    """A product in a storefront list."""

    id: str
    name: str
    slug: str
    image: str | None
    category: str
    province: UnitOut
    seller: SellerCard
    price_min: int
    price_max: int
    in_stock: bool
    certifications: list[str]
    currency: str = "VND"
    object: str = "product"


class ProductDetail(msgspec.Struct):
    """A product as buyers see it."""

    id: str
    name: str
    slug: str
    description: str
    category: CategoryOut
    origin: OriginOut
    images: list[str]
    storage: str
    shelf_life_days: int
    certifications: list[CertificationOut]
    variants: list[VariantOut]
    seller: SellerCard
    currency: str = "VND"
    object: str = "product"


class RejectIn(Input):
    reason: Annotated[str, msgspec.Meta(min_length=1, max_length=500)]


class HarvestIn(Input):
    harvested_quantity: Quantity


class HarvestOut(msgspec.Struct):
    """A declared harvest: what came in, the pre-orders it filled (first come, first served) and those it could
    not (cancelled, reason `harvest_short`); `surplus` went on sale from stock."""

    id: str
    product_id: str
    variant_id: str
    capacity: int
    harvested_quantity: int
    filled_quantity: int
    surplus: int
    filled_seller_orders: list[str]
    cancelled_seller_orders: list[str]
    declared_at: str
    object: str = "harvest"
