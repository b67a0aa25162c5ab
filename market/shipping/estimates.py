"""Shipping before the order: each seller's parcel quoted to a destination, as checkout will charge it.

The quote endpoint (explicit items, or the caller's cart) and the cart's estimate both come here; the parcels are
split by seller and routed with `market.shipping.quotes.by_seller` and `parcel_route`, and quoted by the process's
`Quoter`, exactly as checkout does. Unlike checkout, a parcel that no service can carry within its shortest shelf
life is answered (unavailable, with the services refused) instead of refusing the whole request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from market.catalog.reads import SaleVariant, sale_variants
from market.core.errors import FieldError, ValidationFailed
from market.geo.service import place_errors
from market.sellers.schemas import SellerCard
from market.shipping.quotes import Options, Quoter, by_seller, parcel_route


@dataclass(frozen=True)
class Place:
    """Where parcels go: a province of the units catalog and, when known, one of its wards."""

    province_code: int
    ward_code: int | None = None


class Wanted(Protocol):
    """A quantity of a variant asked about (an item of a quote's body, a cart's line)."""

    @property
    def variant_id(self) -> str: ...

    @property
    def quantity(self) -> int: ...


@dataclass(frozen=True)
class Item:
    """A quantity of a variant on sale, as it would be packed."""

    variant: SaleVariant
    quantity: int


@dataclass(frozen=True)
class SellerShipping:
    """One seller's parcel and what it was offered."""

    seller: SellerCard
    options: Options


def checked_place(province_code: int, ward_code: int | None, prefix: str = "") -> Place:
    """The place, when it is one of the catalog; 422 `unknown_province` or `unknown_ward` naming the field."""
    errors = place_errors(province_code, ward_code, prefix)
    if errors:
        raise ValidationFailed(errors)
    return Place(province_code, ward_code)


async def items_of(wanted: Sequence[Wanted]) -> list[Item]:
    """The variants asked about, read from the catalog; 422 naming `items[i].variant_id` for a variant that does
    not exist (`unknown_variant`) or is not on sale (`variant_unavailable`)."""
    variants = await sale_variants(list(dict.fromkeys(item.variant_id for item in wanted)))
    errors = []
    for index, item in enumerate(wanted):
        variant = variants.get(item.variant_id)
        if variant is None:
            errors.append(FieldError(f"items[{index}].variant_id", "unknown_variant", "No such variant."))
        elif not variant.on_sale:
            errors.append(FieldError(f"items[{index}].variant_id", "variant_unavailable", "Not on sale."))
    if errors:
        raise ValidationFailed(errors)
    return [Item(variants[item.variant_id], item.quantity) for item in wanted]


def items_on_sale(lines: Iterable[Wanted], variants: dict[str, SaleVariant]) -> list[Item]:
    """A cart's lines as they would be packed: those whose variant is still on sale, at their quantity."""
    return [
        Item(variant, line.quantity)
        for line in lines
        if (variant := variants.get(line.variant_id)) is not None and variant.on_sale
    ]


async def estimate(quoter: Quoter, items: Sequence[Item], destination: Place, cod: bool) -> list[SellerShipping]:
    """Each seller's parcel of these items quoted to the destination (sellers in the order of their first item)."""
    parcels = list(by_seller(items).values())
    if not parcels:
        return []
    quoted = await quoter.options([parcel_route(parcel, destination.province_code, cod) for parcel in parcels])
    return [SellerShipping(parcel[0].variant.seller, options) for parcel, options in zip(parcels, quoted, strict=True)]


def total_fee(parcels: Sequence[SellerShipping]) -> int | None:
    """What shipping costs in all, or None when some parcel has no service that can carry it."""
    if any(parcel.options.chosen is None for parcel in parcels):
        return None
    return sum(parcel.options.chosen.fee for parcel in parcels if parcel.options.chosen is not None)
