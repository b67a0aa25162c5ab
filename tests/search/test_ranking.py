"""Diacritics that count, stock first, all words must match, facets only when asked, suggestions."""

from __future__ import annotations

from typing import Any

import httpx
from meilisearch_python_sdk import AsyncClient

from market.core.ids import new_id
from market.core.resources import Resources
from market.settings import Settings
from search.query import parse_query
from search.service import FacetCache, search_products
from search.suggest_index import build_suggestions
from search.synonyms import DEFAULT_SYNONYMS_PATH
from tests.search.conftest import index_catalog
from tests.search.factories import Catalog, category, product, seller
from tests.search.test_api import api, assert_problem  # noqa: F401 - the fixture


async def search(meili: AsyncClient, uid: str, **params: Any) -> Any:
    return await search_products(meili, uid, parse_query(**params))


async def fruit_stand(meili: AsyncClient, uid: str) -> dict[str, Any]:
    """Fruits whose names fold to the same letters, one melon out of stock."""
    owner = await seller("Vườn Trái Cây Zưzu")
    fruit = await category(f"Trái cây Zưzu {new_id('x')[-5:]}")  # category slugs are unique in the session
    made = {
        "melon": await product(owner, fruit, "Dưa hấu Zưzu", on_hand=10),
        "melon_gone": await product(owner, fruit, "Dưa hấu Zưzu hết hàng", on_hand=0),
        "pineapple": await product(owner, fruit, "Dứa Zưzu"),
        "coconut": await product(owner, fruit, "Dừa Zưzu"),
        "rice": await product(owner, fruit, "Gạo thơm Zưzu"),
    }

    class Built:
        ids = [row.id for row in made.values()]

    await index_catalog(meili, uid, Built())  # type: ignore[arg-type]
    return made


def names(result: Any) -> list[str]:
    return [hit.name for hit in result.hits]


async def test_diacritics_typed_count_and_plain_words_find_every_reading(meili: AsyncClient, uid: str) -> None:
    await fruit_stand(meili, uid)
    assert names(await search(meili, uid, q="dưa zưzu")) == ["Dưa hấu Zưzu", "Dưa hấu Zưzu hết hàng"]
    assert names(await search(meili, uid, q="dứa zưzu")) == ["Dứa Zưzu"]
    assert names(await search(meili, uid, q="dừa zưzu")) == ["Dừa Zưzu"]
    assert set(names(await search(meili, uid, q="dua zuzu"))) == {
        "Dưa hấu Zưzu", "Dưa hấu Zưzu hết hàng", "Dứa Zưzu", "Dừa Zưzu",
    }  # fmt: skip


async def test_synonyms_follow_meanings_not_foldings(meili: AsyncClient, uid: str) -> None:
    await fruit_stand(meili, uid)
    # thơm is pineapple (and fragrant): it finds dứa; dứa never finds fragrant rice nor, by folding, dưa or dừa
    assert set(names(await search(meili, uid, q="thơm zưzu"))) == {"Dứa Zưzu", "Gạo thơm Zưzu"}
    assert names(await search(meili, uid, q="khóm zưzu")) == ["Dứa Zưzu"]
    assert names(await search(meili, uid, q="khom zuzu")) == ["Dứa Zưzu"]


async def test_in_stock_ranks_first_and_words_matching_nothing_answer_nothing(meili: AsyncClient, uid: str) -> None:
    await fruit_stand(meili, uid)
    result = await search(meili, uid, q="dưa hấu zưzu hết hàng")
    assert names(result) == ["Dưa hấu Zưzu hết hàng"]  # every word must match
    ranked = await search(meili, uid, q="dưa hấu zưzu")
    assert [hit.in_stock for hit in ranked.hits] == [True, False]
    nothing = await search(meili, uid, q="sầu riêng zưzu")
    assert (nothing.total_hits, nothing.match) == (0, "none")
    assert ranked.match == "all" and ranked.search_q == "duwaqz haauqs zuwzuqz"


async def test_facets_only_when_asked_or_on_the_first_page_and_cached(
    meili: AsyncClient, uid: str, catalog: Catalog, resources: Resources, settings: Settings
) -> None:
    first = await search(meili, uid, q="mang cau")
    assert first.facets["seller_slug"] and first.price_stats.min is not None
    later = await search(meili, uid, q="mang cau", page=2)
    assert (later.facets, later.price_stats.min) == ({}, None)
    chosen = await search(meili, uid, q="mang cau", page=2, facets=["province_code,price"])
    assert set(chosen.facets) == {"province_code"} and chosen.price_stats.min is not None
    none = await search(meili, uid, facets=["none"])
    assert none.facets == {} and none.total_hits == len(catalog.ids)

    cache = FacetCache(resources.redis, settings.redis_key_prefix, 30)
    query = parse_query(q="mang cau")
    fresh = await search_products(meili, uid, query, cache)
    assert await resources.redis.exists(cache.key(uid, query))
    await resources.redis.set(  # what a cached answer would hold: the search must use it, not Meilisearch
        cache.key(uid, query), b'{"facetDistribution":{"seller_slug":{"cached":1}},"facetStats":{}}', ex=30
    )
    cached = await search_products(meili, uid, query, cache)
    assert cached.facets["seller_slug"] == {"cached": 1} and cached.hits == fresh.hits


async def test_suggestions_and_their_problems(
    api: httpx.AsyncClient,  # noqa: F811
    catalog: Catalog,
    resources: Resources,
    settings: Settings,
) -> None:
    await product(catalog.htx, catalog.custard, "Mãng cầu Bà Đen hộp quà")  # two names begin so: a suggestion
    await build_suggestions(resources.meili, settings.meili_index_prefix, DEFAULT_SYNONYMS_PATH)
    response = await api.get("/api/v1/search/suggest", params={"q": "mang c"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "search_suggestions"
    assert body["suggestions"][0] == {"kind": "category", "text": "Mãng cầu", "slug": "mang-cau"}
    assert {"kind": "query", "text": "Mãng cầu Bà Đen", "slug": None} in body["suggestions"]
    assert "Mãng cầu Bà Đen hộp quà" not in str(body)  # one product's own name: a search finds it
    cases: list[tuple[dict[str, str | int], str]] = [
        ({}, "q"), ({"q": "  "}, "q"), ({"q": "x" * 201}, "q"), ({"q": "na", "limit": 0}, "limit"),
    ]  # fmt: skip
    for params, field in cases:
        problem = assert_problem(await api.get("/api/v1/search/suggest", params=params), 422, "validation_failed")
        assert field in str(problem), problem
