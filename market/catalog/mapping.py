"""Rows to response schemas for the catalog."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from market.catalog.preorders import status
from market.catalog.schemas import (
    CategoryOut,
    CertificationOut,
    HarvestOut,
    OriginOut,
    PreorderOut,
    ProductOut,
    VariantOut,
)
from market.catalog.tables import Category, Certification, Product, Variant
from market.core.schemas import rfc3339
from market.geo.service import province_out, ward_out
from market.inventory.service import Harvested, Level


def _iso(value: date | str | None) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


def _day(value: date | str | None) -> date | None:
    """A date from a row (a `date`) or a JSON document (`YYYY-MM-DD`)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def certification_out(cert: dict[str, Any], today: date) -> CertificationOut:
    valid_until = cert["valid_until"]
    until = valid_until if isinstance(valid_until, date) else date.fromisoformat(valid_until)
    return CertificationOut(
        type=cert["type"],
        number=cert["number"],
        issuer=cert["issuer"],
        valid_until=until.isoformat(),
        scope=cert.get("scope"),
        ocop_stars=cert.get("ocop_stars"),
        expired=until < today,
    )


def variant_out(variant: dict[str, Any], level: Level | None, today: date) -> VariantOut:
    level = level or Level(0, 0, None, 0)
    preorder = None
    on_preorder = level.preorder_capacity is not None
    window = status(_day(variant.get("preorder_opens_on")), _day(variant.get("harvest_to")), on_preorder, today)
    if variant.get("harvest_from") is not None and window is not None:
        preorder = PreorderOut(
            opens_on=_iso(variant["preorder_opens_on"]),
            harvest_from=_iso(variant["harvest_from"]),
            harvest_to=_iso(variant["harvest_to"]),
            capacity=level.preorder_capacity if level.preorder_capacity is not None else level.harvest_capacity or 0,
            remaining=level.available if window == "open" else 0,
            status=window,
            harvested_quantity=level.harvested_quantity,
        )
    sold_out = window in ("upcoming", "closed")
    return VariantOut(
        id=variant["id"],
        sku=variant["sku"],
        unit=variant["unit"],
        unit_size=variant["unit_size"],
        price=variant["price"],
        compare_at_price=variant["compare_at_price"],
        weight_g=variant["weight_g"],
        catch_weight=variant["catch_weight"],
        tolerance_percent=variant["tolerance_percent"],
        min_per_order=variant["min_per_order"],
        max_per_order=variant["max_per_order"],
        status=variant["status"],
        available=0 if sold_out else level.available,
        stock=None if on_preorder else level.on_hand,
        preorder=preorder,
    )


def harvest_out(product_id: str, landed: Harvested) -> HarvestOut:
    return HarvestOut(
        id=landed.id,
        product_id=product_id,
        variant_id=landed.variant_id,
        capacity=landed.capacity,
        harvested_quantity=landed.harvested_quantity,
        filled_quantity=landed.filled_quantity,
        surplus=landed.surplus,
        filled_seller_orders=landed.filled_seller_orders,
        cancelled_seller_orders=landed.cancelled_seller_orders,
        declared_at=rfc3339(landed.declared_at) or "",
    )


def origin_out(province_code: int, ward_code: int | None, farm: str | None) -> OriginOut:
    return OriginOut(
        province=province_out(province_code),
        ward=ward_out(ward_code) if ward_code else None,
        farm=farm,
    )


def images_of(value: Any) -> list[str]:
    images = json.loads(value) if isinstance(value, str) else value
    return list(images or [])


def product_out(
    product: Product,
    category: Category | None,
    certifications: list[Certification],
    variants: list[Variant],
    levels: dict[str, Level],
    today: date,
) -> ProductOut:
    return ProductOut(
        id=product.id,
        name=product.name,
        slug=product.slug,
        description=product.description,
        category=category.slug if category else "",
        origin=origin_out(product.origin_province_code, product.origin_ward_code, product.origin_farm),
        images=images_of(product.images),
        storage=product.storage,
        shelf_life_days=product.shelf_life_days,
        status=product.status,
        rejection_reason=product.rejection_reason,
        certifications=[certification_out(c.to_dict(), today) for c in certifications],
        variants=[variant_out(v.to_dict(), levels.get(v.id), today) for v in variants],
        created_at=rfc3339(product.created_at),
        updated_at=rfc3339(product.updated_at),
    )


def category_tree(rows: list[Category]) -> list[CategoryOut]:
    nodes = {row.id: CategoryOut(row.id, row.name, row.slug, row.path, []) for row in rows}
    roots = []
    for row in sorted(rows, key=lambda r: (r.path.count("/"), r.position)):
        node = nodes[row.id]
        if row.parent_id and row.parent_id in nodes:
            nodes[row.parent_id].children.append(node)
        else:
            roots.append(node)
    return roots
