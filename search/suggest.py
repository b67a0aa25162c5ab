"""Suggestions as the buyer types: category and product names from the suggestions index (`search.names`).

Each distinct name is one small document there; measured against searching the products index itself for the
same names (see the README's Benchmarks), it is what makes a one-letter prefix cheap. The words are rewritten as
for a search (`search.vietnamese`): "dưa" suggests watermelons, never pineapples (dứa); Meilisearch completes the
last word as a prefix.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec
from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import MeilisearchApiError

from market.core.errors import field_error
from market.core.text import nfc
from search.meili import is_index_not_found
from search.names import names_uid
from search.query import MAX_Q_LENGTH
from search.service import post_json
from search.vietnamese import rewrite_query

DEFAULT_SUGGESTIONS: Final = 8
MAX_SUGGESTIONS: Final = 20


class Suggestion(msgspec.Struct, kw_only=True):
    """A product or category name to complete the search box with."""

    kind: str
    """"category" (search it with `category=<slug>`) or "product" (a product of that name: /api/v1/products/{slug})."""
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


def suggest_request(q: str, limit: int = DEFAULT_SUGGESTIONS) -> dict[str, Any]:
    """Meilisearch's body for the suggestions of `q` (public: the benchmark sends the same body raw)."""
    return {
        "q": rewrite_query(q),
        "limit": limit,
        "attributesToRetrieve": ["kind", "text", "slug"],
        "matchingStrategy": "all",
    }


async def suggest(meili: AsyncClient, uid: str, q: str, limit: int) -> SuggestResult:
    """The suggestions for validated words (`parse_suggest`); `uid` is the products index (its names index
    answers). No names index yet suggests nothing."""
    try:
        raw = await post_json(meili, f"indexes/{names_uid(uid)}/search", suggest_request(q, limit))
    except MeilisearchApiError as error:
        if is_index_not_found(error):
            return SuggestResult(q=q, suggestions=[])
        raise
    hits: list[dict[str, Any]] = raw.get("hits") or []
    return SuggestResult(
        q=q, suggestions=[Suggestion(kind=hit["kind"], text=hit["text"], slug=hit["slug"]) for hit in hits]
    )
