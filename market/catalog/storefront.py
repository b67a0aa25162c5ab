"""What buyers see: only active products of approved sellers, with unexpired certifications.

Product detail is read in one SQL statement (the document is assembled by PostgreSQL) and cached as the encoded
response at two levels: in Redis, shared, dropped through the outbox when the product, a variant, its stock or its
seller changes (and expiring after PRODUCT_CACHE_TTL_S anyway); and for half a second in each API process, so a
hot product costs no network round trip. A change therefore shows within the outbox delay plus half a second.
"""

from __future__ import annotations

import json
import time
from datetime import date
from typing import Any

import msgspec
import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from market.catalog.mapping import certification_out, origin_out, variant_out
from market.catalog.schemas import CategoryOut, ProductDetail, ProductSummary
from market.catalog.tables import Product
from market.core.errors import NotFound
from market.geo.service import province_out
from market.inventory.service import Level
from market.sellers.mapping import seller_card_of

DETAIL_SQL = """
SELECT json_build_object(
  'product', to_jsonb(p) - 'seller' - 'category',
  'category', json_build_object('id', c.id, 'name', c.name, 'slug', c.slug, 'path', c.path),
  'seller', json_build_object('id', s.id, 'slug', s.slug, 'display_name', s.display_name, 'kind', s.kind,
                              'province_code', s.province_code, 'ward_code', s.ward_code,
                              'description', s.description),
  'certifications', coalesce((SELECT json_agg(to_jsonb(ce) ORDER BY ce.type) FROM certification ce
                              WHERE ce.product = p.id AND ce.valid_until >= current_date), '[]'::json),
  'variants', coalesce((SELECT json_agg(to_jsonb(v) || jsonb_build_object(
                             'on_hand', sl.on_hand, 'reserved', sl.reserved,
                             'preorder_capacity', sl.preorder_capacity,
                             'preorder_reserved', sl.preorder_reserved) ORDER BY v.position)
                        FROM variant v JOIN stock_level sl ON sl.variant_id = v.id
                        WHERE v.product = p.id AND v.status = 'active'), '[]'::json)
)::text AS document
FROM product p JOIN seller s ON s.id = p.seller JOIN category c ON c.id = p.category
WHERE p.slug = $1 AND p.status = 'active' AND s.status = 'approved'
"""

log = structlog.get_logger(__name__)
_encoder = msgspec.json.Encoder()
LOCAL_TTL_S = 0.5
LOCAL_MAX_ENTRIES = 5_000
_local: dict[str, tuple[float, bytes]] = {}


def detail_cache_key(prefix: str, slug: str) -> str:
    return f"{prefix}product-detail:{slug}"


def detail_from_document(document: dict[str, Any], today: date) -> ProductDetail:
    product, seller, category = document["product"], document["seller"], document["category"]
    return ProductDetail(
        id=product["id"],
        name=product["name"],
        slug=product["slug"],
        description=product["description"],
        category=CategoryOut(category["id"], category["name"], category["slug"], category["path"], []),
        origin=origin_out(product["origin_province_code"], product["origin_ward_code"], product["origin_farm"]),
        images=list(product["images"] or []),
        storage=product["storage"],
        shelf_life_days=product["shelf_life_days"],
        certifications=[certification_out(cert, today) for cert in document["certifications"]],
        variants=[
            variant_out(v, Level(v["on_hand"], v["reserved"], v["preorder_capacity"], v["preorder_reserved"]))
            for v in document["variants"]
        ],
        seller=seller_card_of(seller),
    )


async def product_detail_bytes(redis: Redis, prefix: str, ttl_s: int, slug: str) -> bytes:
    """The encoded detail of a public product, from the cache or PostgreSQL (then cached; ttl 0 disables it)."""
    if ttl_s == 0:
        return _encoder.encode(await product_detail(slug))
    now = time.monotonic()
    local = _local.get(slug)
    if local is not None and local[0] > now:
        return local[1]
    key = detail_cache_key(prefix, slug)
    cached = await _cache_get(redis, key)
    if cached is not None:
        body = cached.encode() if isinstance(cached, str) else bytes(cached)
    else:
        body = _encoder.encode(await product_detail(slug))
        await _cache_set(redis, key, body, ttl_s)
    if len(_local) >= LOCAL_MAX_ENTRIES:
        _local.clear()
    _local[slug] = (now + LOCAL_TTL_S, body)
    return body


async def _cache_get(redis: Redis, key: str) -> Any:
    """The cached body, or None; with Redis down the page is served from PostgreSQL instead of failing."""
    try:
        return await redis.get(key)
    except RedisError as exc:
        log.warning("product_cache_unavailable", error=repr(exc))
        return None


async def _cache_set(redis: Redis, key: str, body: bytes, ttl_s: int) -> None:
    try:
        await redis.set(key, body, ex=ttl_s)
    except RedisError as exc:
        log.warning("product_cache_unavailable", error=repr(exc))


async def product_detail(slug: str) -> ProductDetail:
    rows = await Product.raw(DETAIL_SQL.replace("$1", "{}"), slug).run()
    if not rows:
        raise NotFound("No such product.")
    return detail_from_document(json.loads(rows[0]["document"]), date.today())


LIST_SQL = """
SELECT p.id, p.name, p.slug, p.images->>0 AS image, c.slug AS category, p.origin_province_code,
       s.id AS seller_id, s.slug AS seller_slug, s.display_name AS seller_display_name, s.kind AS seller_kind,
       s.province_code AS seller_province_code, s.ward_code AS seller_ward_code, s.description AS seller_description,
       v.price_min, v.price_max, coalesce(v.in_stock, false) AS in_stock,
       coalesce((SELECT array_agg(DISTINCT ce.type) FROM certification ce
                 WHERE ce.product = p.id AND ce.valid_until >= current_date), ARRAY[]::varchar[]) AS certifications
FROM product p
JOIN seller s ON s.id = p.seller
JOIN category c ON c.id = p.category
JOIN LATERAL (
    SELECT min(v.price) AS price_min, max(v.price) AS price_max,
           bool_or(CASE WHEN sl.preorder_capacity IS NULL THEN sl.on_hand > sl.reserved
                        ELSE sl.preorder_capacity > sl.preorder_reserved END) AS in_stock
    FROM variant v JOIN stock_level sl ON sl.variant_id = v.id
    WHERE v.product = p.id AND v.status = 'active'
) v ON v.price_min IS NOT NULL
WHERE p.status = 'active' AND s.status = 'approved'
"""


async def list_products(filters: dict[str, Any], before: str | None, limit: int) -> list[ProductSummary]:
    """Public products, newest first, filtered by category (with its children), province, seller, certification,
    stock; `before` is the id of the last product of the previous page."""
    clauses, args = [LIST_SQL], []
    if filters.get("category"):
        clauses.append("AND (c.path = {} OR c.path LIKE {})")
        args += [filters["category_path"], filters["category_path"] + "/%"]
    if filters.get("province") is not None:
        clauses.append("AND p.origin_province_code = {}")
        args.append(filters["province"])
    if filters.get("seller"):
        clauses.append("AND s.slug = {}")
        args.append(filters["seller"])
    if filters.get("certification"):
        clauses.append(
            "AND EXISTS (SELECT 1 FROM certification ce WHERE ce.product = p.id AND ce.type = {} "
            "AND ce.valid_until >= current_date)"
        )
        args.append(filters["certification"])
    if filters.get("in_stock") is not None:
        clauses.append("AND coalesce(v.in_stock, false) = {}")
        args.append(filters["in_stock"])
    if before:
        clauses.append("AND p.id < {}")
        args.append(before)
    clauses.append("ORDER BY p.id DESC LIMIT {}")
    args.append(limit + 1)
    rows = await Product.raw(" ".join(clauses), *args).run()
    return [_summary(row) for row in rows]


def _summary(row: dict[str, Any]) -> ProductSummary:
    return ProductSummary(
        id=row["id"],
        name=row["name"],
        slug=row["slug"],
        image=row["image"],
        category=row["category"],
        province=province_out(row["origin_province_code"]),
        seller=seller_card_of(row, "seller_"),
        price_min=row["price_min"],
        price_max=row["price_max"],
        in_stock=row["in_stock"],
        certifications=sorted(row["certifications"]),
    )
