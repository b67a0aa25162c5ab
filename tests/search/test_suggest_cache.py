"""Suggestions kept in the process: a repeated keystroke does not reach Meilisearch, concurrent ones share one
request, and a phrase added to the catalog shows once the kept answer expires (at once without a cache)."""

from __future__ import annotations

import asyncio

import msgspec
import pytest
from meilisearch_python_sdk import AsyncClient

from market.settings import Settings
from search.suggest import SuggestCache, answers_counter, suggest_bytes
from search.suggest_index import build_suggestions, suggest_uid
from search.synonyms import DEFAULT_SYNONYMS_PATH
from tests.search.factories import Catalog, category, product, seller


@pytest.fixture
def suggestions(settings: Settings) -> str:
    return suggest_uid(settings.meili_index_prefix)


async def rebuild(meili: AsyncClient, settings: Settings) -> None:
    await build_suggestions(meili, settings.meili_index_prefix, DEFAULT_SYNONYMS_PATH)


def counts() -> dict[str, float]:
    return {result: answers_counter.labels(result)._value.get() for result in ("hit", "miss", "shared")}


def texts(answer: bytes) -> list[str]:
    return [item["text"] for item in msgspec.json.decode(answer)["suggestions"]]


async def test_a_repeated_suggestion_comes_from_the_cache_until_it_expires(
    meili: AsyncClient, settings: Settings, suggestions: str, catalog: Catalog
) -> None:
    await product(catalog.htx, catalog.custard, "Mãng cầu Bà Đen loại 1")  # two names begin so: a suggestion
    await rebuild(meili, settings)
    cache = SuggestCache(ttl_s=0.5)
    before = counts()
    first = await suggest_bytes(meili, suggestions, "mang c", 8, cache)
    assert "Mãng cầu Bà Đen" in texts(first)
    owner, fruit = await seller("Vườn Mãng Cầu Mới"), await category("Mãng cầu mới trồng")
    for size in ("loại 1", "hộp quà"):
        await product(owner, fruit, f"Mãng cầu dai Tân Châu {size}")
    await rebuild(meili, settings)

    again = await suggest_bytes(meili, suggestions, "Mang  c", 8, cache)  # the same words for Meilisearch
    assert texts(again) == texts(first)  # kept: the new phrase is not there yet
    assert msgspec.json.decode(again)["q"] == "Mang  c"  # the answer still echoes what was typed
    assert "Mãng cầu dai Tân Châu" in texts(await suggest_bytes(meili, suggestions, "mang c", 8, None))  # no cache
    after = counts()
    assert (after["hit"] - before["hit"], after["miss"] - before["miss"]) == (1, 1)

    await asyncio.sleep(0.6)
    fresh = texts(await suggest_bytes(meili, suggestions, "mang c", 8, cache))
    assert "Mãng cầu dai Tân Châu" in fresh
    assert texts(await suggest_bytes(meili, suggestions, "mang c", 2, cache)) == fresh[:2]  # a limit of its own


async def test_concurrent_misses_share_one_request(meili: AsyncClient, suggestions: str, catalog: Catalog) -> None:
    cache = SuggestCache(ttl_s=30)
    before = counts()
    answers = await asyncio.gather(*(suggest_bytes(meili, suggestions, "mang c", 8, cache) for _ in range(10)))
    assert len(set(answers)) == 1
    after = counts()
    assert (after["miss"] - before["miss"], after["shared"] - before["shared"]) == (1, 9)


async def test_without_an_index_there_is_nothing_to_suggest(meili: AsyncClient, suggestions: str) -> None:
    answer = await suggest_bytes(meili, suggestions, "mang c", 8, SuggestCache(ttl_s=30))
    assert msgspec.json.decode(answer) == {"q": "mang c", "suggestions": [], "object": "search_suggestions"}
