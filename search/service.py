"""Product search: one Meilisearch request per query, mapped to the API's result.

Facets (counts and price statistics) are the expensive part of a search; they are computed only when the query
asks for them (`SearchQuery.facets`) and kept in Redis for `SEARCH_FACETS_TTL_S` per words, filters and facets
asked, so paging, re-sorting and repeated searches send Meilisearch the lean request only.

Meilisearch being down or slow raises `MeilisearchCommunicationError` / `MeilisearchTimeoutError`, which the HTTP
layer answers with a 503; nothing here catches them. An index that does not exist yet (a fresh deployment before
its first sync) answers an empty result.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchError,
)
from redis.asyncio import Redis
from redis.exceptions import RedisError

from search.meili import is_index_not_found
from search.query import FACETS, PRICE_STATS_FACET, SearchQuery, build_filter, meili_facets, search_request
from search.schemas import PriceStats, ProductHit, SearchResult, SellerRef
from search.transport import post_httpx, transport_for


class FacetCache:
    """Facet counts and price statistics in Redis, per index, words, filters and facets asked.

    A Redis failure only costs the cache: the facets are then computed by Meilisearch.
    """

    def __init__(self, redis: Redis, prefix: str, ttl_s: int) -> None:
        self.redis, self.prefix, self.ttl_s = redis, prefix, ttl_s

    def key(self, uid: str, query: SearchQuery) -> str:
        parts = msgspec.json.encode([uid, query.search_q, build_filter(query), meili_facets(query)])
        return f"{self.prefix}search:facets:{hashlib.blake2b(parts, digest_size=16).hexdigest()}"

    async def get(self, key: str) -> dict[str, Any] | None:
        if self.ttl_s <= 0:
            return None
        try:
            cached = await self.redis.get(key)
        except RedisError:
            return None
        return msgspec.json.decode(cached) if cached else None

    async def put(self, key: str, raw: dict[str, Any]) -> None:
        if self.ttl_s <= 0:
            return
        value = {"facetDistribution": raw.get("facetDistribution") or {}, "facetStats": raw.get("facetStats") or {}}
        try:
            await self.redis.set(key, msgspec.json.encode(value), ex=self.ttl_s)
        except RedisError:
            return


async def search_products(
    meili: AsyncClient, uid: str, query: SearchQuery, cache: FacetCache | None = None
) -> SearchResult:
    """Run a validated query against the index: one Meilisearch request, with facets only if asked and not cached.

    Args:
        meili: the Meilisearch client.
        uid: the live index (`search.index.index_uid(prefix)`).
        query: from `search.query.parse_query`.
        cache: where facets are kept between searches (none: always computed when asked).

    Raises:
        MeilisearchCommunicationError: Meilisearch is unreachable (the API answers 503).
        MeilisearchTimeoutError: Meilisearch did not answer in time (503).
    """
    cached: dict[str, Any] | None = None
    key = ""
    if query.facets and cache is not None:
        key = cache.key(uid, query)
        cached = await cache.get(key)
    try:
        raw = await post_json(meili, f"indexes/{uid}/search", search_request(query, with_facets=cached is None))
    except MeilisearchApiError as error:
        if is_index_not_found(error):
            return _result(query, {})
        raise
    if cached is not None:
        raw.update(cached)
    elif query.facets and cache is not None:
        await cache.put(key, raw)
    return _result(query, raw)


async def post_json(meili: AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST to Meilisearch and decode the answer.

    The SDK's `search` drops `facetStats` (its result model has no such field), and its HTTP client costs more CPU
    than Meilisearch's search (`search.transport`), so the request goes on the query transport, with the SDK's
    errors raised for the same failures.
    """
    decoded: dict[str, Any] = msgspec.json.decode(await post_raw(meili, path, msgspec.json.encode(body)))
    return decoded


async def post_raw(meili: AsyncClient, path: str, body: bytes) -> bytes:
    """POST a JSON body to Meilisearch on the query transport; its answer's body, undecoded.

    Raises:
        MeilisearchApiError: Meilisearch refused the request (4xx with its error document).
        MeilisearchCommunicationError: unreachable, or a 5xx.
        MeilisearchTimeoutError: no answer in time.
    """
    transport = transport_for(meili)
    answer = await transport.post(path, body) if transport else await post_httpx(meili, path, body)
    if answer.status >= 500:
        raise MeilisearchCommunicationError(f"Meilisearch answered {answer.status}")
    if answer.status >= 400:
        if "application/json" in answer.content_type:
            response = httpx.Response(answer.status, content=answer.body, request=httpx.Request("POST", path))
            raise MeilisearchApiError(f"Meilisearch answered {answer.status}", response)
        raise MeilisearchError(f"Meilisearch answered {answer.status}: {answer.body[:200]!r}")
    return answer.body


def _result(query: SearchQuery, raw: dict[str, Any]) -> SearchResult:
    distribution: dict[str, dict[str, int]] = raw.get("facetDistribution") or {}
    stats = (raw.get("facetStats") or {}).get(PRICE_STATS_FACET) or {}
    return SearchResult(
        query=query,
        page=query.page,
        page_size=query.page_size,
        total_hits=int(raw.get("totalHits") or 0),
        total_pages=int(raw.get("totalPages") or 0),
        hits=[_hit(document) for document in raw.get("hits") or ()],
        facets={name: dict(distribution.get(name) or {}) for name in FACETS if name in query.facets},
        price_stats=PriceStats(
            min=int(stats["min"]) if "min" in stats else None, max=int(stats["max"]) if "max" in stats else None
        ),
        match="none" if query.q and not raw.get("totalHits") else "all",
        search_q=query.search_q,
    )


def _hit(document: dict[str, Any]) -> ProductHit:
    harvest_from = document.get("harvest_from")
    return ProductHit(
        id=document["id"],
        slug=document["slug"],
        name=document["name"],
        image=document.get("image"),
        category=document["category"],
        province=document.get("province"),
        province_code=document["province_code"],
        seller=SellerRef(id=document["seller_id"], slug=document["seller_slug"], name=document["seller_name"]),
        price_min=document.get("price_min"),
        price_max=document.get("price_max"),
        in_stock=bool(document.get("in_stock")),
        pre_order=bool(document.get("pre_order")),
        certifications=list(document.get("certifications") or ()),
        ocop_stars=document.get("ocop_stars"),
        harvest_from=(
            datetime.fromtimestamp(harvest_from, UTC).date().isoformat() if isinstance(harvest_from, int) else None
        ),
    )
