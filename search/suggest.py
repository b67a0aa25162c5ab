"""Suggestions as the buyer types: product and category names from the products index.

The products index answers, searching the names only (`attributesToSearchOn`) and retrieving four short fields,
so there is no second index to keep in step. A separate index of distinct names was measured too (README,
Benchmarks): faster per suggestion, but with 100,000 products it holds about as many names, so every reindex
loaded twice the documents (1.8x the raw load instead of at most 1.3x). The words are rewritten
as for a search (`search.vietnamese`): "dưa" suggests watermelons, never pineapples (dứa); Meilisearch completes
the last word as a prefix.

Answers are kept in the process for `SEARCH_SUGGEST_TTL_S` (30 s; 0: off), per index, words as Meilisearch gets
them and limit (`SuggestCache`). Buyers typing the same first letters ask the same few questions again and again,
and Meilisearch's answer to each costs it about 3 ms of CPU at 64 connections on 100,000 products, where a kept
answer costs the API a few tens of microseconds: a name added to the catalog shows in suggestions within the TTL.
Concurrent misses for one key share one Meilisearch request. `market_search_suggestions_total{result}` counts
answers from the cache ("hit"), from Meilisearch ("miss") and from another request's call ("shared").
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Final

import msgspec
from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import MeilisearchApiError
from prometheus_client import Counter

from market.core.errors import field_error
from market.core.text import nfc
from search.meili import is_index_not_found
from search.query import MAX_Q_LENGTH
from search.service import post_raw
from search.vietnamese import rewrite_query

DEFAULT_SUGGESTIONS: Final = 8
MAX_SUGGESTIONS: Final = 20
SUGGEST_ATTRIBUTES: Final = ("category_vn", "category_name", "name_vn", "name")
_FETCHED: Final = 24  # product names repeat with their qualifiers ("Khóm Bến Lức loại 1", "... nhà vườn")
MAX_CACHED: Final = 20_000
"""Answers kept at most (the oldest go first); a few megabytes."""

answers_counter = Counter("market_search_suggestions", "Suggestion answers, by where they came from", ["result"])
_HIT, _MISS, _SHARED = (answers_counter.labels(result) for result in ("hit", "miss", "shared"))


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
    return _request_of(rewrite_query(q))


def _request_of(rewritten: str) -> dict[str, Any]:
    return {
        "q": rewritten,
        "limit": _FETCHED,
        "attributesToSearchOn": list(SUGGEST_ATTRIBUTES),
        "attributesToRetrieve": ["name", "slug", "category", "category_name"],
        "matchingStrategy": "all",
    }


async def suggest(meili: AsyncClient, uid: str, q: str, limit: int) -> SuggestResult:
    """The suggestions for validated words (`parse_suggest`); an index not created yet suggests nothing."""
    return msgspec.json.decode(await suggest_bytes(meili, uid, q, limit, None), type=SuggestResult)


_ENCODER = msgspec.json.Encoder()


async def suggest_bytes(meili: AsyncClient, uid: str, q: str, limit: int, cache: SuggestCache | None) -> bytes:
    """`SuggestResult` as JSON for validated words, from the cache when it holds them."""
    rewritten = rewrite_query(q)
    suggestions = await cache.get(uid, rewritten, limit, meili) if cache else await _fetch(meili, uid, rewritten, limit)
    return b'{"q":%s,"suggestions":%s,"object":"search_suggestions"}' % (_ENCODER.encode(q), suggestions)


async def _fetch(meili: AsyncClient, uid: str, rewritten: str, limit: int) -> bytes:
    """The suggestions (a JSON array) of words already rewritten, from Meilisearch."""
    body = _ENCODER.encode(_request_of(rewritten))
    try:
        raw = msgspec.json.decode(await post_raw(meili, f"indexes/{uid}/search", body), type=_Answer)
    except MeilisearchApiError as error:
        if is_index_not_found(error):
            return b"[]"
        raise
    categories: dict[str, Suggestion] = {}
    products: dict[str, Suggestion] = {}
    for hit in raw.hits:
        if hit.category_name and hit.category and hit.category not in categories:
            categories[hit.category] = Suggestion(kind="category", text=hit.category_name, slug=hit.category)
        name = " ".join((hit.name or "").split())
        if name and name.lower() not in products:
            products[name.lower()] = Suggestion(kind="product", text=name, slug=hit.slug or "")
    return _ENCODER.encode([*categories.values(), *products.values()][:limit])


class _Hit(msgspec.Struct):
    name: str | None = None
    slug: str | None = None
    category: str | None = None
    category_name: str | None = None


class _Answer(msgspec.Struct):
    hits: list[_Hit] = msgspec.field(default_factory=list)


class SuggestCache:
    """Suggestions (encoded) per index, rewritten words and limit, for `ttl_s`, in this process.

    A miss asks Meilisearch; misses for the same key while that request is out wait for its answer (or its error)
    rather than asking again.
    """

    def __init__(self, ttl_s: float, max_entries: int = MAX_CACHED) -> None:
        self.ttl_s, self.max_entries = ttl_s, max_entries
        self._answers: dict[tuple[str, str, int], tuple[float, bytes]] = {}
        self._pending: dict[tuple[str, str, int], asyncio.Future[bytes]] = {}

    async def get(self, uid: str, rewritten: str, limit: int, meili: AsyncClient) -> bytes:
        """The suggestions of the key, kept or fetched (and then kept)."""
        key = (uid, rewritten, limit)
        now = time.monotonic()
        kept = self._answers.get(key)
        if kept is not None and kept[0] > now:
            _HIT.inc()
            return kept[1]
        pending = self._pending.get(key)
        if pending is not None:
            _SHARED.inc()
            try:
                return await asyncio.shield(pending)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if pending.cancelled() and not (task and task.cancelling()):
                    return await _fetch(meili, uid, rewritten, limit)  # the request it waited for went away
                raise
        _MISS.inc()
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._pending[key] = future
        try:
            answer = await _fetch(meili, uid, rewritten, limit)
        except asyncio.CancelledError:
            future.cancel()
            raise
        except Exception as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: no "never retrieved" warning when nobody else waited
            raise
        finally:
            del self._pending[key]
        future.set_result(answer)
        if self.ttl_s > 0:
            self._keep(key, answer, now + self.ttl_s)
        return answer

    def _keep(self, key: tuple[str, str, int], answer: bytes, until: float) -> None:
        answers = self._answers
        answers.pop(key, None)
        while len(answers) >= self.max_entries:
            del answers[next(iter(answers))]  # the oldest kept
        answers[key] = (until, answer)
