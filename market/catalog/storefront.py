"""What buyers see: only active products of approved sellers, with unexpired certifications.

Product detail is read in one SQL statement (the document is assembled by PostgreSQL) and cached as the encoded
response at two levels: in Redis, shared, dropped through the outbox when the product, a variant, its stock or its
seller changes (and expiring after PRODUCT_CACHE_TTL_S anyway); and for half a second in each API process, so a
hot product costs no network round trip. A change therefore shows within the outbox delay plus half a second.

What a page shows also depends on the day (a certificate valid until a date, a pre-order window), and nothing
happens to the product when the day turns: so both caches are keyed by the Vietnamese date (`market.core.clock`)
as well as the slug, and the first read of a new day builds its page afresh. The certificates and windows are
evaluated on that same date, passed into SQL as a parameter.
"""

from __future__ import annotations

import json
import time
from datetime import date, timedelta
from typing import Any

import msgspec
import structlog
from redis.asyncio import Redis
from redis.exceptions import RedisError

from market.catalog.mapping import certification_out, origin_out, variant_out
from market.catalog.schemas import CategoryOut, ProductDetail, ProductSummary
from market.core import clock
from market.core.db import fetch
from market.core.errors import NotFound
from market.geo.service import province_out
from market.inventory.service import level_of
from market.sellers.mapping import seller_card_of

DETAIL_SQL = """
SELECT json_build_object(
  'product', to_jsonb(p) - 'seller' - 'category',
  'category', json_build_object('id', c.id, 'name', c.name, 'slug', c.slug, 'path', c.path),
  'seller', json_build_object('id', s.id, 'slug', s.slug, 'display_name', s.display_name, 'kind', s.kind,
                              'province_code', s.province_code, 'ward_code', s.ward_code,
                              'description', s.description),
  'certifications', coalesce((SELECT json_agg(to_jsonb(ce) ORDER BY ce.type) FROM certification ce
                              WHERE ce.product = p.id AND ce.valid_until >= $2), '[]'::json),
  'variants', coalesce((SELECT json_agg(to_jsonb(v) || jsonb_build_object(
                             'on_hand', sl.on_hand, 'reserved', sl.reserved,
                             'preorder_capacity', sl.preorder_capacity,
                             'preorder_reserved', sl.preorder_reserved,
                             'harvested_quantity', h.harvested_quantity, 'harvest_capacity', h.capacity)
                             ORDER BY v.position)
                        FROM variant v JOIN stock_level sl ON sl.variant_id = v.id
                        LEFT JOIN harvest h ON h.variant_id = v.id
                        WHERE v.product = p.id AND v.status = 'active'), '[]'::json)
)::text AS document
FROM product p JOIN seller s ON s.id = p.seller JOIN category c ON c.id = p.category
WHERE p.slug = $1 AND p.status = 'active' AND s.status = 'approved'
"""

log = structlog.get_logger(__name__)
_encoder = msgspec.json.Encoder()
LOCAL_TTL_S = 0.5
LOCAL_MAX_ENTRIES = 5_000
REFRESH_GRACE_S = 0.1
_local: dict[tuple[str, str], tuple[float, date, bytes]] = {}
"""(key prefix, slug): (expires at, on time.monotonic(); the Vietnamese day it is the page of; the body)."""


def detail_cache_key(prefix: str, slug: str, day: date) -> str:
    return f"{prefix}product-detail:{slug}:{day.isoformat()}"


def detail_cache_keys(prefix: str, slug: str) -> list[str]:
    """The keys a change must drop: yesterday's, today's and tomorrow's page (a worker whose clock is a little
    ahead or behind the API's still drops the page the API serves)."""
    today = clock.today()
    return [detail_cache_key(prefix, slug, today + timedelta(days=shift)) for shift in (-1, 0, 1)]


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
        variants=[variant_out(v, level_of(v), today) for v in document["variants"]],
        seller=seller_card_of(seller),
    )


async def product_detail_bytes(redis: Redis, prefix: str, ttl_s: int, slug: str) -> bytes:
    """The encoded detail of a public product, from the cache or PostgreSQL (then cached; ttl 0 disables it)."""
    today = clock.today()
    if ttl_s == 0:
        return _encoder.encode(await product_detail(slug, today))
    now = time.monotonic()
    local = _local.get((prefix, slug))
    if local is not None and local[1] == today:
        if local[0] > now:
            return local[2]
        # Expired: this request refreshes it, and the ones arriving meanwhile serve what it holds (a hot page
        # would otherwise send a Redis GET for each request waiting at that moment).
        _local[prefix, slug] = (now + REFRESH_GRACE_S, today, local[2])
    key = detail_cache_key(prefix, slug, today)
    cached = await _cache_get(redis, key)
    if cached is not None:
        body = cached.encode() if isinstance(cached, str) else bytes(cached)
    else:
        body = _encoder.encode(await product_detail(slug, today))
        await _cache_set(redis, key, body, ttl_s)
    if len(_local) >= LOCAL_MAX_ENTRIES:
        _local.clear()
    _local[prefix, slug] = (time.monotonic() + LOCAL_TTL_S, today, body)
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


async def product_detail(slug: str, today: date | None = None) -> ProductDetail:
    """A public product's page as buyers read it on `today` (the Vietnamese date, by default now's)."""
    today = today or clock.today()
    rows = await fetch(DETAIL_SQL, slug, today)
    if not rows:
        raise NotFound("No such product.")
    return detail_from_document(json.loads(rows[0]["document"]), today)


LIST_SQL = """
SELECT p.id, p.name, p.slug, p.images->>0 AS image, c.slug AS category, p.origin_province_code,
       s.id AS seller_id, s.slug AS seller_slug, s.display_name AS seller_display_name, s.kind AS seller_kind,
       s.province_code AS seller_province_code, s.ward_code AS seller_ward_code, s.description AS seller_description,
       v.price_min, v.price_max, coalesce(v.in_stock, false) AS in_stock,
       coalesce((SELECT array_agg(DISTINCT ce.type) FROM certification ce
                 WHERE ce.product = p.id AND ce.valid_until >= {today}), ARRAY[]::varchar[]) AS certifications
FROM product p
JOIN seller s ON s.id = p.seller
JOIN category c ON c.id = p.category
JOIN LATERAL (
    SELECT min(v.price) AS price_min, max(v.price) AS price_max,
           bool_or(CASE WHEN sl.preorder_capacity IS NULL THEN sl.on_hand > sl.reserved
                        ELSE sl.preorder_capacity > sl.preorder_reserved
                             AND v.preorder_opens_on <= {today} AND v.harvest_to >= {today} END) AS in_stock
    FROM variant v JOIN stock_level sl ON sl.variant_id = v.id
    WHERE v.product = p.id AND v.status = 'active'
) v ON v.price_min IS NOT NULL
WHERE p.status = 'active' AND s.status = 'approved'
"""


CERTIFIED = (
    "AND EXISTS (SELECT 1 FROM certification ce WHERE ce.product = p.id AND ce.type = {kind} "
    "AND ce.valid_until >= $1::date)"
)


async def list_products(filters: dict[str, Any], before: str | None, limit: int) -> list[ProductSummary]:
    """Public products, newest first, filtered by category (with its children), province, seller, certification,
    stock; `before` is the id of the last product of the previous page. Certificates and pre-order windows count
    on today's Vietnamese date (`$1`)."""
    args: list[Any] = [clock.today()]

    def arg(value: Any) -> str:
        args.append(value)
        return f"${len(args)}"

    clauses = [LIST_SQL.replace("{today}", "$1::date")]
    if filters.get("category"):
        clauses.append(f"AND (c.path = {arg(filters['category_path'])} OR c.path LIKE "
                       f"{arg(filters['category_path'] + '/%')})")  # fmt: skip
    if filters.get("province") is not None:
        clauses.append(f"AND p.origin_province_code = {arg(filters['province'])}")
    if filters.get("seller"):
        clauses.append(f"AND s.slug = {arg(filters['seller'])}")
    if filters.get("certification"):
        clauses.append(CERTIFIED.replace("{kind}", arg(filters["certification"])))
    if filters.get("in_stock") is not None:
        clauses.append(f"AND coalesce(v.in_stock, false) = {arg(filters['in_stock'])}")
    if before:
        clauses.append(f"AND p.id < {arg(before)}")
    clauses.append(f"ORDER BY p.id DESC LIMIT {arg(limit + 1)}")
    rows = await fetch(" ".join(clauses), *args)
    return [_summary(dict(row)) for row in rows]


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
