"""What the catalog tells search: one flat document per public product, read in bulk.

Only active products of approved sellers are public. A document carries what buyers search and filter on: the
texts, the category path, origin, active (unexpired) certifications, price range, stock and pre-order flags.
Certificates and pre-order windows are read on today's Vietnamese date (`market.core.clock`), a parameter of the
statement: `pre_order` means open for pre-order today (`market.catalog.preorders`), `in_stock` counts variants
sold from stock, harvested pre-orders included. As the date turns, `product_ids_changing_with_the_calendar` names
the products whose documents changed without any event.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from market.catalog.tables import Category, Product
from market.core import clock
from market.core.db import fetch
from market.geo.service import province

_DOCUMENTS_SQL = """
SELECT p.id, p.slug, p.name, left(p.description, 2000) AS description, p.storage, p.shelf_life_days,
       p.origin_province_code, p.images->>0 AS image, extract(epoch FROM p.created_at)::bigint AS created_at,
       c.slug AS category, c.path AS category_path,
       s.id AS seller_id, s.slug AS seller_slug, s.display_name AS seller_name,
       v.price_min, v.price_max, coalesce(v.in_stock, false) AS in_stock,
       coalesce(v.pre_order, false) AS pre_order, v.harvest_from,
       coalesce(cert.types, ARRAY[]::varchar[]) AS certifications, cert.ocop_stars
FROM product p
JOIN seller s ON s.id = p.seller
JOIN category c ON c.id = p.category
LEFT JOIN LATERAL (
    SELECT min(v.price) AS price_min, max(v.price) AS price_max,
           bool_or(sl.preorder_capacity IS NULL AND sl.on_hand - sl.reserved > 0) AS in_stock,
           bool_or(sl.preorder_capacity > sl.preorder_reserved
                   AND v.preorder_opens_on <= {today} AND v.harvest_to >= {today}) AS pre_order,
           extract(epoch FROM min(v.harvest_from) FILTER (WHERE sl.preorder_capacity IS NOT NULL))::bigint
               AS harvest_from
    FROM variant v LEFT JOIN stock_level sl ON sl.variant_id = v.id
    WHERE v.product = p.id AND v.status = 'active'
) v ON true
LEFT JOIN LATERAL (
    SELECT array_agg(DISTINCT ce.type ORDER BY ce.type) AS types, max(ce.ocop_stars) AS ocop_stars
    FROM certification ce WHERE ce.product = p.id AND ce.valid_until >= {today}
) cert ON true
WHERE p.status = 'active' AND s.status = 'approved' AND p.id = ANY($1::varchar[])
""".replace("{today}", "$2::date")


async def search_documents(product_ids: list[str]) -> list[dict[str, Any]]:
    """Documents of those products that are public; the others (archived, suspended seller ...) are absent."""
    if not product_ids:
        return []
    rows = [dict(row) for row in await fetch(_DOCUMENTS_SQL, product_ids, clock.today())]
    names = await _category_names()
    documents = []
    for row in rows:
        path = row.pop("category_path").split("/")
        prefixes = ["/".join(path[: depth + 1]) for depth in range(len(path))]
        origin = province(row["origin_province_code"])
        documents.append(
            {
                **row,
                "certifications": list(row["certifications"]),
                "category_path": prefixes,
                "category_names": [names.get(prefix, prefix) for prefix in prefixes],
                "province_code": row.pop("origin_province_code"),
                "province": origin.name if origin else None,
            }
        )
    return documents


async def public_product_ids(after: str | None, limit: int) -> list[str]:
    """Ids of public products in id order, a page at a time (for full reindexes and drift checks)."""
    rows = await Product.raw(
        "SELECT p.id FROM product p JOIN seller s ON s.id = p.seller "
        "WHERE p.status = 'active' AND s.status = 'approved' AND p.id > {} ORDER BY p.id LIMIT {}",
        after or "",
        limit,
    ).run()
    return [row["id"] for row in rows]


async def public_names() -> list[dict[str, Any]]:
    """What suggestions are made of: a row per public product (`kind` "name", `text` its name) and a row per
    category holding public products in it or below it (`kind` "category", `text` its name, `slug`, `products`
    the count)."""
    rows = await fetch(
        "SELECT 'name' AS kind, p.name AS text, NULL::varchar AS slug, 1::bigint AS products FROM product p "
        "JOIN seller s ON s.id = p.seller WHERE p.status = 'active' AND s.status = 'approved' "
        "UNION ALL SELECT 'category', c.name, c.slug, count(p.id) FROM category c "
        "JOIN category below ON below.path = c.path OR below.path LIKE c.path || '/%' "
        "JOIN product p ON p.category = below.id AND p.status = 'active' "
        "JOIN seller s ON s.id = p.seller AND s.status = 'approved' GROUP BY c.id"
    )
    return [dict(row) for row in rows]


async def product_ids_of_seller(seller_id: str) -> list[str]:
    """Every product of a seller, public or not (a suspension removes them all from search)."""
    rows = await Product.select(Product.id).where(Product.seller == seller_id).run()
    return [row["id"] for row in rows]


async def product_ids_changing_with_the_calendar(today: date) -> list[str]:
    """Products whose document changes as the Vietnamese date becomes `today` (or became it yesterday): a
    certificate whose last day was yesterday, a pre-order window opening today or whose last day was yesterday."""
    rows = await fetch(
        "SELECT product AS id FROM certification WHERE valid_until >= $1::date - 2 AND valid_until < $1::date "
        "UNION SELECT product FROM variant WHERE preorder_opens_on BETWEEN $1::date - 1 AND $1::date "
        "OR harvest_to >= $1::date - 2 AND harvest_to < $1::date",
        today,
    )
    return sorted(row["id"] for row in rows)


async def product_ids_with_certifications_expiring(on_or_after: Any, before: Any) -> list[str]:
    """Products with a certification whose validity ended in [on_or_after, before): their documents change."""
    rows = await Product.raw(
        "SELECT DISTINCT product AS id FROM certification WHERE valid_until >= {} AND valid_until < {}",
        on_or_after,
        before,
    ).run()
    return [row["id"] for row in rows]


async def _category_names() -> dict[str, str]:
    rows = await Category.select(Category.path, Category.name).run()
    return {row["path"]: row["name"] for row in rows}
