"""Suggestions as the buyer types: product and category names from the products index.

The products index answers, searching the names only (`attributesToSearchOn`) and retrieving four short fields,
so there is no second index to keep in step. A separate index of distinct names was measured too (README,
Benchmarks): faster per suggestion, but with 100,000 products it holds about as many names, so every reindex
loaded twice the documents (1.8x the raw load instead of at most 1.3x). The words are rewritten
as for a search (`search.vietnamese`): "dưa" suggests watermelons, never pineapples (dứa); Meilisearch completes
the last word as a prefix.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec
from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import MeilisearchApiError

from market.core.errors import field_error
from market.core.text import nfc
from search.meili import is_index_not_found
from search.query import MAX_Q_LENGTH
from search.service import post_json
from search.vietnamese import rewrite_query

DEFAULT_SUGGESTIONS: Final = 8
MAX_SUGGESTIONS: Final = 20
SUGGEST_ATTRIBUTES: Final = ("category_vn", "category_name", "name_vn", "name")
_FETCHED: Final = 24  # product names repeat with their qualifiers ("Khóm Bến Lức loại 1", "... nhà vườn")


class Suggestion(msgspec.Struct, kw_only=True):
    """A product or category name to complete the search box with."""

    kind: str
    """"category" (search it with `category=<slug>`) or "product" (its page is /api/v1/products/{slug})."""
    text: str
    slug: str


class SuggestResult(msgspec.Struct, kw_only=True):
    """Categories first, then product names, each once."""

    q: str
    suggestions: list[Suggestion]
    object: str = "search_suggestions"


def parse_suggest(q: str | None, limit: int | None) -> tuple[str, int]:
    """Validated words and limit.

    Raises:
        ValidationFailed: `q` missing, blank or too long (`required`, `too_long`), `limit` out of 1..20.
    """
    text = nfc(q or "")
    if not text:
        raise field_error("q", "required", "q is required: the words typed so far.")
    if len(text) > MAX_Q_LENGTH:
        raise field_error("q", "too_long", f"q must be at most {MAX_Q_LENGTH} characters.")
    chosen = DEFAULT_SUGGESTIONS if limit is None else limit
    if not 1 <= chosen <= MAX_SUGGESTIONS:
        raise field_error("limit", "out_of_range", f"limit must be between 1 and {MAX_SUGGESTIONS}.")
    return text, chosen


def suggest_request(q: str) -> dict[str, Any]:
    """Meilisearch's body for the suggestions of `q` (public: the benchmark sends the same body raw)."""
    return {
        "q": rewrite_query(q),
        "limit": _FETCHED,
        "attributesToSearchOn": list(SUGGEST_ATTRIBUTES),
        "attributesToRetrieve": ["name", "slug", "category", "category_name"],
        "matchingStrategy": "all",
    }


async def suggest(meili: AsyncClient, uid: str, q: str, limit: int) -> SuggestResult:
    """The suggestions for validated words (`parse_suggest`); an index not created yet suggests nothing."""
    try:
        raw = await post_json(meili, f"indexes/{uid}/search", suggest_request(q))
    except MeilisearchApiError as error:
        if is_index_not_found(error):
            return SuggestResult(q=q, suggestions=[])
        raise
    hits: list[dict[str, Any]] = raw.get("hits") or []
    categories: dict[str, Suggestion] = {}
    products: dict[str, Suggestion] = {}
    for hit in hits:
        category = hit.get("category_name")
        if category and hit.get("category") not in categories:
            categories[hit["category"]] = Suggestion(kind="category", text=category, slug=hit["category"])
        name = " ".join(str(hit.get("name", "")).split())
        if name and name.lower() not in products:
            products[name.lower()] = Suggestion(kind="product", text=name, slug=hit["slug"])
    return SuggestResult(q=q, suggestions=[*categories.values(), *products.values()][:limit])
