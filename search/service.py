"""Product search: one Meilisearch request per query, mapped to the API's result.

Meilisearch being down or slow raises `MeilisearchCommunicationError` / `MeilisearchTimeoutError`, which the HTTP
layer answers with a 503; nothing here catches them. An index that does not exist yet (a fresh deployment before
its first sync) answers an empty result.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec
from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import (
    MeilisearchApiError,
    MeilisearchCommunicationError,
    MeilisearchError,
    MeilisearchTimeoutError,
)

from search.meili import is_index_not_found
from search.query import FACETS, PRICE_STATS_FACET, SearchQuery, search_request
from search.schemas import PriceStats, ProductHit, SearchResult, SellerRef


async def search_products(meili: AsyncClient, uid: str, query: SearchQuery) -> SearchResult:
    """Run a validated query against the index.

    Args:
        meili: the Meilisearch client.
        uid: the live index (`search.index.index_uid(prefix)`).
        query: from `search.query.parse_query`.

    Raises:
        MeilisearchCommunicationError: Meilisearch is unreachable (the API answers 503).
        MeilisearchTimeoutError: Meilisearch did not answer in time (503).
    """
    try:
        raw = await _post(meili, f"indexes/{uid}/search", search_request(query))
    except MeilisearchApiError as error:
        if is_index_not_found(error):
            return _result(query, {})
        raise
    return _result(query, raw)


async def _post(meili: AsyncClient, path: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST to Meilisearch and decode the answer.

    The SDK's `search` drops `facetStats` (its result model has no such field), so the request is sent on the
    client's own HTTP connection pool, with the SDK's errors raised for the same failures.
    """
    try:
        response = await meili.http_client.post(
            path, content=msgspec.json.encode(body), headers={"Content-Type": "application/json"}
        )
    except httpx.TimeoutException as exc:
        raise MeilisearchTimeoutError(f"Meilisearch did not answer in time: {exc!r}") from exc
    except httpx.TransportError as exc:
        raise MeilisearchCommunicationError(f"Meilisearch is unreachable: {exc!r}") from exc
    if response.status_code >= 500:
        raise MeilisearchCommunicationError(f"Meilisearch answered {response.status_code}")
    if response.status_code >= 400:
        if "application/json" in response.headers.get("content-type", ""):
            raise MeilisearchApiError(f"Meilisearch answered {response.status_code}", response)
        raise MeilisearchError(f"Meilisearch answered {response.status_code}: {response.text[:200]}")
    decoded: dict[str, Any] = msgspec.json.decode(response.content)
    return decoded


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
        facets={name: dict(distribution.get(name) or {}) for name in FACETS},
        price_stats=PriceStats(
            min=int(stats["min"]) if "min" in stats else None, max=int(stats["max"]) if "max" in stats else None
        ),
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
