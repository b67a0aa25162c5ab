"""Suggestions as the buyer types: categories and the phrases product names begin with, from the suggestions index.

`search.suggest_index` builds that index (a few hundred documents for 100,000 products), so a suggestion costs
Meilisearch a fraction of a products search; the products index was searched for names before, at the cost of a
search (README, Benchmarks). The words are rewritten as for a search (`search.vietnamese`): "dưa" suggests
watermelons, never pineapples (dứa); Meilisearch completes the last word as a prefix, and a last word that
matches nothing with its tone is taken as unfinished ("dưa hấ" on the way to "dưa hấu").

Answers are kept in the process for `SEARCH_SUGGEST_TTL_S` (30 s; 0: off), per index, words as Meilisearch gets
them and limit (`SuggestCache`): buyers typing the same first letters ask the same few questions again and again.
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
from search.vietnamese import rewrite_query, unfinished

DEFAULT_SUGGESTIONS: Final = 8
MAX_SUGGESTIONS: Final = 20
MAX_CACHED: Final = 20_000
"""Answers kept at most (the oldest go first); a few megabytes."""

answers_counter = Counter("market_search_suggestions", "Suggestion answers, by where they came from", ["result"])
_HIT, _MISS, _SHARED = (answers_counter.labels(result) for result in ("hit", "miss", "shared"))


class Suggestion(msgspec.Struct, kw_only=True):
    """A category, or words to search, to complete the search box with."""

    kind: str
    """"category" (search it with `category=<slug>`) or "query" (search `q=<text>`: words that the names of
    several products begin with)."""
    text: str
    slug: str | None = None
    """The category's slug; null for a query."""


class SuggestResult(msgspec.Struct, kw_only=True):
    """Categories first, then queries, each once, the likeliest first."""

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
    return _request_of(rewrite_query(q), limit)


def _request_of(rewritten: str, limit: int) -> dict[str, Any]:
    return {"q": rewritten, "limit": limit, "matchingStrategy": "all"}


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
    """The suggestions (a JSON array) of words already rewritten, from Meilisearch: if none match, and the last
    word has diacritics, it is taken as unfinished (`search.vietnamese.unfinished`) and Meilisearch asked again."""
    hits: list[Suggestion] = []
    for words in (rewritten, unfinished(rewritten)):
        if words is None:
            break
        body = _ENCODER.encode(_request_of(words, limit))
        try:
            hits = msgspec.json.decode(await post_raw(meili, f"indexes/{uid}/search", body), type=_Answer).hits
        except MeilisearchApiError as error:
            if is_index_not_found(error):
                return b"[]"
            raise
        if hits:
            break
    return _ENCODER.encode(hits)


class _Answer(msgspec.Struct):
    hits: list[Suggestion] = msgspec.field(default_factory=list)


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
