"""Rules a product must keep beyond its types: they are checked all at once, so a seller sees every problem."""

from __future__ import annotations

from datetime import date

from market.catalog.schemas import CertificationIn, OriginIn, VariantIn
from market.catalog.tables import Variant
from market.core.errors import FieldError
from market.core.urls import check_public_https_url
from market.geo.service import place_errors

WEIGHED_UNITS = ("kg", "g")


def origin_errors(origin: OriginIn, path: str = "origin") -> list[FieldError]:
    return place_errors(origin.province_code, origin.ward_code, f"{path}.")


async def image_errors(images: list[str], trusted_hosts: tuple[str, ...]) -> list[FieldError]:
    errors = []
    for index, url in enumerate(images):
        error = await check_public_https_url(url, f"images[{index}]", trusted_hosts)
        if error:
            errors.append(error)
    return errors


def certification_errors(certifications: list[CertificationIn], today: date) -> list[FieldError]:
    errors = []
    for index, cert in enumerate(certifications):
        path = f"certifications[{index}]"
        if cert.type == "ocop" and cert.ocop_stars is None:
            errors.append(FieldError(f"{path}.ocop_stars", "required", "OCOP certifications carry 3 to 5 stars."))
        if cert.type != "ocop" and cert.ocop_stars is not None:
            errors.append(FieldError(f"{path}.ocop_stars", "not_allowed", "Only OCOP certifications have stars."))
        if cert.valid_until < today:
            errors.append(FieldError(f"{path}.valid_until", "expired", "This certification has already expired."))
    return errors


def variant_errors(variant: VariantIn, path: str, today: date) -> list[FieldError]:
    """A variant's rules; a pre-order window must not have ended already (`today` is the Vietnamese date)."""
    errors = []
    if (variant.stock is None) == (variant.preorder is None):
        errors.append(FieldError(f"{path}.stock", "stock_or_preorder", "Give either stock or a pre-order window."))
    if variant.preorder is not None:
        window = variant.preorder
        if not window.opens_on <= window.harvest_from <= window.harvest_to:
            errors.append(
                FieldError(f"{path}.preorder", "invalid_window", "Needs opens_on <= harvest_from <= harvest_to.")
            )
        elif window.harvest_to < today:
            errors.append(FieldError(f"{path}.preorder.harvest_to", "window_ended",
                                     "This harvest window has already ended."))  # fmt: skip
    errors += limit_errors(path, variant.price, variant.compare_at_price, variant.min_per_order, variant.max_per_order)
    errors += catch_weight_errors(path, variant.unit, variant.catch_weight, variant.tolerance_percent)
    return errors


def limit_errors(
    path: str, price: int, compare_at: int | None, min_per_order: int, max_per_order: int | None
) -> list[FieldError]:
    errors = []
    if compare_at is not None and compare_at <= price:
        errors.append(FieldError(f"{path}.compare_at_price", "not_above_price", "Must be above the price."))
    if max_per_order is not None and max_per_order < min_per_order:
        errors.append(FieldError(f"{path}.max_per_order", "below_minimum", "Must be at least min_per_order."))
    return errors


def catch_weight_errors(path: str, unit: str, catch_weight: bool, tolerance: int | None) -> list[FieldError]:
    if catch_weight and unit not in WEIGHED_UNITS:
        return [FieldError(f"{path}.catch_weight", "not_weighed", "Only products sold by kg or g have catch weight.")]
    if catch_weight and tolerance is None:
        return [FieldError(f"{path}.tolerance_percent", "required", "Catch weight needs a tolerance.")]
    if not catch_weight and tolerance is not None:
        return [FieldError(f"{path}.tolerance_percent", "not_allowed", "Only catch-weight variants have one.")]
    return []


async def sku_errors(seller_id: str, skus: list[tuple[str, str]]) -> list[FieldError]:
    """(path, sku) pairs: duplicates in the request and SKUs the seller already uses."""
    errors = []
    seen: set[str] = set()
    for path, sku in skus:
        if sku in seen:
            errors.append(FieldError(path, "duplicate_sku", f"SKU {sku} appears twice."))
        seen.add(sku)
    keys = [f"{seller_id}:{sku}" for _, sku in skus]
    taken = {row["sku_key"] for row in await Variant.select(Variant.sku_key).where(Variant.sku_key.is_in(keys))}
    errors += [
        FieldError(path, "duplicate_sku", f"SKU {sku} is already used by another variant.")
        for path, sku in skus
        if f"{seller_id}:{sku}" in taken
    ]
    return errors
