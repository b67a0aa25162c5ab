"""A cart's contents to its answer: lines grouped by seller, current prices and stock, warnings, estimates, and
each seller's shipping once the cart has a destination."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from market.cart.schemas import (
    CartLineOut,
    CartOut,
    CartProductOut,
    EstimateOut,
    HarvestOut,
    LineWarning,
    SellerGroupOut,
)
from market.cart.service import CartContents
from market.cart.store import CartRef, StoredLine
from market.catalog.preorders import sale_refusal
from market.catalog.reads import SaleVariant
from market.core import clock
from market.core.schemas import rfc3339
from market.sellers.schemas import SellerCard
from market.shipping.estimates import total_fee
from market.shipping.quote_mapping import destination_out, estimate_out

BLOCKING = frozenset(
    {
        "preorder_not_open",
        "preorder_closed",
        "unavailable",
        "out_of_stock",
        "insufficient_stock",
        "above_maximum",
        "below_minimum",
    }
)


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def _warnings(line: StoredLine, variant: SaleVariant) -> list[LineWarning]:
    if not variant.on_sale:
        return [LineWarning("unavailable", "This item is no longer on sale.")]
    if (refusal := sale_refusal(variant, variant.on_preorder, clock.today())) is not None:
        return [LineWarning(refusal.code, refusal.detail)]
    warnings = []
    if line.price_when_added and variant.price != line.price_when_added:
        message = f"The price changed from {line.price_when_added:,} đ to {variant.price:,} đ."
        warnings.append(LineWarning("price_changed", message, previous_price=line.price_when_added))
    available = variant.level.available
    if available == 0:
        warnings.append(LineWarning("out_of_stock", "Out of stock.", available=0))
    elif available < line.quantity:
        warnings.append(LineWarning("insufficient_stock", f"Only {available} left.", available=available))
    if variant.max_per_order is not None and line.quantity > variant.max_per_order:
        warnings.append(LineWarning("above_maximum", f"At most {variant.max_per_order} per order."))
    if line.quantity < variant.min_per_order:
        warnings.append(LineWarning("below_minimum", f"At least {variant.min_per_order} per order."))
    return warnings


def _estimate(variant: SaleVariant, line_total: int) -> EstimateOut | None:
    if not variant.catch_weight or not variant.tolerance_percent:
        return None
    tolerance = variant.tolerance_percent
    return EstimateOut(
        tolerance_percent=tolerance,
        amount_min=line_total * (100 - tolerance) // 100,
        amount_max=-(-line_total * (100 + tolerance) // 100),
    )


def line_out(line: StoredLine, variant: SaleVariant) -> CartLineOut:
    warnings = _warnings(line, variant)
    line_total = variant.price * line.quantity
    preorder = None
    if variant.harvest_from is not None:
        preorder = HarvestOut(
            _iso(variant.preorder_opens_on), variant.harvest_from.isoformat(), _iso(variant.harvest_to)
        )
    return CartLineOut(
        variant_id=variant.id,
        product=CartProductOut(variant.product_id, variant.product_name, variant.product_slug, variant.image),
        sku=variant.sku,
        unit=variant.unit,
        unit_size=variant.unit_size,
        quantity=line.quantity,
        price=variant.price,
        price_when_added=line.price_when_added or variant.price,
        line_total=line_total,
        available=variant.level.available if variant.on_sale else 0,
        min_per_order=variant.min_per_order,
        max_per_order=variant.max_per_order,
        purchasable=not any(warning.code in BLOCKING for warning in warnings),
        warnings=warnings,
        catch_weight=_estimate(variant, line_total),
        preorder=preorder,
        added_at=rfc3339(datetime.fromtimestamp(line.added_at_ms / 1000, UTC)) if line.added_at_ms else None,
    )


def cart_out(contents: CartContents, token: str | None = None) -> CartOut:
    """Lines grouped by seller, sellers in the order their first line was added; lines of variants that no longer
    exist at all are left out."""
    groups: dict[str, tuple[SellerCard, list[CartLineOut]]] = {}
    for line in contents.lines:
        variant = contents.variants.get(line.variant_id)
        if variant is None:
            continue
        groups.setdefault(variant.seller.id, (variant.seller, []))[1].append(line_out(line, variant))
    shipping = {parcel.seller.id: estimate_out(parcel.options) for parcel in contents.shipping or []}
    seller_groups = [
        SellerGroupOut(seller, lines, sum(line.line_total for line in lines if line.purchasable),
                       shipping.get(seller.id))
        for seller, lines in groups.values()
    ]  # fmt: skip
    lines = [line for group in seller_groups for line in group.lines]
    subtotal = sum(group.subtotal for group in seller_groups)
    fee = total_fee(contents.shipping) if contents.shipping is not None else None
    return CartOut(
        id=contents.cart.id,
        kind=_kind(contents.cart),
        groups=seller_groups,
        line_count=len(lines),
        item_count=sum(line.quantity for line in lines),
        subtotal=subtotal,
        has_warnings=any(line.warnings for line in lines),
        expires_at=rfc3339(datetime.now(UTC) + timedelta(seconds=contents.cart.ttl_s)) if lines else None,
        token=token,
        destination=destination_out(contents.destination) if contents.destination else None,
        shipping_fee=fee,
        total=subtotal + fee if fee is not None else None,
    )


def _kind(cart: CartRef) -> str:
    return "customer" if cart.customer else "guest"
