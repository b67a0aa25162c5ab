"""Products as their seller sees them (every status), loaded in a fixed number of queries per page; variants as a
cart sees them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from market.catalog.mapping import product_out
from market.catalog.schemas import ProductOut
from market.catalog.tables import Category, Certification, Product, Variant
from market.core import clock
from market.core.db import fetch
from market.inventory import service as inventory
from market.inventory.service import Level
from market.sellers.mapping import seller_card_of
from market.sellers.schemas import SellerCard


async def products_out(products: list[Product]) -> list[ProductOut]:
    """Full representations of these products: 4 queries whatever their number."""
    if not products:
        return []
    ids = [product.id for product in products]
    certs: dict[str, list[Certification]] = defaultdict(list)
    for cert in await Certification.objects().where(Certification.product.is_in(ids)).run():
        certs[cert.product].append(cert)
    variants: dict[str, list[Variant]] = defaultdict(list)
    rows = await Variant.objects().where(Variant.product.is_in(ids)).order_by(Variant.position).run()
    for variant in rows:
        variants[variant.product].append(variant)
    levels = await inventory.levels([variant.id for variant in rows])
    category_ids = list({product.category for product in products})
    category_rows = await Category.objects().where(Category.id.is_in(category_ids)).run()
    by_id = {category.id: category for category in category_rows}
    today = clock.today()
    return [product_out(p, by_id.get(p.category), certs[p.id], variants[p.id], levels, today) for p in products]


async def product_out_of(product: Product) -> ProductOut:
    return (await products_out([product]))[0]


@dataclass(frozen=True)
class SaleVariant:
    """A variant as a cart sees it: terms of sale, product, seller card and stock, and whether it is on sale."""

    id: str
    sku: str
    unit: str
    unit_size: str
    price: int
    weight_g: int
    catch_weight: bool
    tolerance_percent: int | None
    min_per_order: int
    max_per_order: int | None
    preorder_opens_on: date | None
    harvest_from: date | None
    harvest_to: date | None
    product_id: str
    product_name: str
    product_slug: str
    image: str | None
    shelf_life_days: int
    seller: SellerCard
    pickup_province_code: int
    level: Level
    on_sale: bool  # variant active, product active, seller approved

    @property
    def on_preorder(self) -> bool:
        """Whether it still sells from a pre-order capacity (until its harvest lands)."""
        return self.level.preorder_capacity is not None


SALE_VARIANTS_SQL = """
SELECT v.id, v.sku, v.unit, v.unit_size, v.price, v.weight_g, v.catch_weight, v.tolerance_percent,
       v.min_per_order, v.max_per_order, v.preorder_opens_on, v.harvest_from, v.harvest_to,
       p.id AS product_id, p.name AS product_name, p.slug AS product_slug, p.images->>0 AS image,
       p.shelf_life_days,
       s.id AS seller_id, s.slug AS seller_slug, s.display_name AS seller_display_name, s.kind AS seller_kind,
       s.province_code AS seller_province_code, s.ward_code AS seller_ward_code, s.description AS seller_description,
       (s.pickup_address->>'province_code')::int AS pickup_province_code,
       coalesce(sl.on_hand, 0) AS on_hand, coalesce(sl.reserved, 0) AS reserved, sl.preorder_capacity,
       coalesce(sl.preorder_reserved, 0) AS preorder_reserved,
       (v.status = 'active' AND p.status = 'active' AND s.status = 'approved') AS on_sale
FROM variant v
JOIN product p ON p.id = v.product
JOIN seller s ON s.id = v.seller
LEFT JOIN stock_level sl ON sl.variant_id = v.id
WHERE v.id = ANY($1::varchar[])
"""


async def sale_variants(variant_ids: list[str]) -> dict[str, SaleVariant]:
    """Variants by id with what a cart shows of them, in one query (unknown ids are absent)."""
    if not variant_ids:
        return {}
    rows = await fetch(SALE_VARIANTS_SQL, variant_ids)
    return {row["id"]: _sale_variant(row) for row in rows}


def _sale_variant(row: dict[str, Any]) -> SaleVariant:
    return SaleVariant(
        id=row["id"],
        sku=row["sku"],
        unit=row["unit"],
        unit_size=row["unit_size"],
        price=row["price"],
        weight_g=row["weight_g"],
        catch_weight=row["catch_weight"],
        tolerance_percent=row["tolerance_percent"],
        min_per_order=row["min_per_order"],
        max_per_order=row["max_per_order"],
        preorder_opens_on=row["preorder_opens_on"],
        harvest_from=row["harvest_from"],
        harvest_to=row["harvest_to"],
        product_id=row["product_id"],
        product_name=row["product_name"],
        product_slug=row["product_slug"],
        image=row["image"],
        shelf_life_days=row["shelf_life_days"],
        seller=seller_card_of(row, "seller_"),
        pickup_province_code=row["pickup_province_code"] or row["seller_province_code"],
        level=Level(row["on_hand"], row["reserved"], row["preorder_capacity"], row["preorder_reserved"]),
        on_sale=bool(row["on_sale"]),
    )
