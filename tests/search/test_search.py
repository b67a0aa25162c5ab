"""Searching the real index: Vietnamese without diacritics, regional synonyms, typed filters, facets, sorting."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from meilisearch_python_sdk import AsyncClient

from search.index import FILTERABLE_ATTRIBUTES, SEARCHABLE_ATTRIBUTES, SORTABLE_ATTRIBUTES
from search.indexer import drain, mark_pending
from search.query import parse_query
from search.schemas import SearchResult
from search.service import search_products
from tests.search.factories import LAM_DONG, TAY_NINH, Catalog, product


async def search(meili: AsyncClient, uid: str, **params: object) -> SearchResult:
    return await search_products(meili, uid, parse_query(**params))  # type: ignore[arg-type]


def names(result: SearchResult) -> list[str]:
    return [hit.name for hit in result.hits]


async def test_settings_are_applied_before_any_document(meili: AsyncClient, uid: str, catalog: Catalog) -> None:
    tasks = (await meili.get_tasks(index_ids=[uid])).results  # newest first; earlier tests used the same uid
    created = max(task.uid for task in tasks if task.task_type == "indexCreation")
    tasks = [task for task in tasks if task.uid > created]
    settings_updates = [task.uid for task in tasks if task.task_type == "settingsUpdate"]
    additions = [task.uid for task in tasks if task.task_type == "documentAdditionOrUpdate"]
    assert settings_updates and additions
    assert max(settings_updates) < min(additions)
    settings = await meili.index(uid).get_settings()
    assert settings.searchable_attributes == SEARCHABLE_ATTRIBUTES
    assert set(settings.filterable_attributes or ()) == set(FILTERABLE_ATTRIBUTES)
    assert set(settings.sortable_attributes or ()) == set(SORTABLE_ATTRIBUTES)
    assert settings.typo_tolerance is not None and settings.typo_tolerance.enabled
    assert settings.synonyms and "duwaqs" in settings.synonyms["khomqs"]  # encoded: see search.vietnamese


@pytest.mark.parametrize(
    ("typed", "found"),
    [
        ("ca phe", "Cà phê Arabica Cầu Đất Đà Lạt"),
        ("da lat", "Cà phê Arabica Cầu Đất Đà Lạt"),
        ("mang cau ba den", "Mãng cầu Bà Đen"),
        ("dứa", "Khóm Bến Lức"),  # North's word for the South's khóm
        ("thom", "Khóm Bến Lức"),
        ("lac", "Đậu phộng rang Tây Ninh"),
        ("na", "Mãng cầu Bà Đen"),
        ("muoi ot tom", "Muối tôm Tây Ninh"),
    ],
)
async def test_buyers_find_products_without_diacritics_and_with_regional_words(
    meili: AsyncClient, uid: str, catalog: Catalog, typed: str, found: str
) -> None:
    result = await search(meili, uid, q=typed)
    assert names(result)[:1] == [found], names(result)


async def test_khom_typed_without_diacritics_finds_a_product_named_dua(
    meili: AsyncClient, uid: str, catalog: Catalog
) -> None:
    dua = await product(catalog.htx, catalog.tropical, "Dứa Đồng Giao", price=20_000)
    await mark_pending([dua.id])
    await drain(meili, uid, 100)
    assert "Dứa Đồng Giao" in names(await search(meili, uid, q="khom"))


async def test_hit_carries_what_a_storefront_shows(meili: AsyncClient, uid: str, catalog: Catalog) -> None:
    hit = (await search(meili, uid, q="mang cau")).hits[0]
    assert hit.id == catalog.mang_cau.id
    assert (hit.price_min, hit.price_max, hit.currency) == (65_000, 120_000, "VND")
    assert hit.category == "mang-cau"
    assert (hit.province_code, hit.province) == (TAY_NINH, "Tây Ninh")
    assert (hit.seller.slug, hit.seller.name) == ("htx-ba-den", "HTX Nông nghiệp Bà Đen")
    assert hit.certifications == ["ocop", "vietgap"]
    assert hit.ocop_stars == 4
    assert hit.in_stock and not hit.pre_order


async def test_typed_filters(meili: AsyncClient, uid: str, catalog: Catalog) -> None:
    assert names(await search(meili, uid, province=LAM_DONG)) == ["Cà phê Arabica Cầu Đất Đà Lạt"]
    assert set(names(await search(meili, uid, certification=["organic", "vietgap"]))) == {
        "Cà phê Arabica Cầu Đất Đà Lạt",
        "Mãng cầu Bà Đen",
    }
    assert names(await search(meili, uid, ocop_stars_min=4)) == ["Mãng cầu Bà Đen"]
    assert names(await search(meili, uid, storage="chilled")) == ["Khóm Bến Lức"]
    assert names(await search(meili, uid, seller="nong-trai-cau-dat")) == ["Cà phê Arabica Cầu Đất Đà Lạt"]
    assert "Cà phê Arabica Cầu Đất Đà Lạt" not in names(await search(meili, uid, in_stock=True))
    assert names(await search(meili, uid, in_stock=False)) == ["Cà phê Arabica Cầu Đất Đà Lạt"]
    priced = await search(meili, uid, price_min=30_000, price_max=70_000, sort="price_asc")
    assert names(priced) == ["Muối tôm Tây Ninh", "Thanh long ruột đỏ Châu Thành", "Mãng cầu Bà Đen"]


async def test_a_parent_category_includes_its_children(meili: AsyncClient, uid: str, catalog: Catalog) -> None:
    fruit = await search(meili, uid, category="trai-cay")
    assert set(names(fruit)) == {"Mãng cầu Bà Đen", "Khóm Bến Lức", "Thanh long ruột đỏ Châu Thành"}
    assert names(await search(meili, uid, category="mang-cau")) == ["Mãng cầu Bà Đen"]
    by_path = await search(meili, uid, category="trai-cay/trai-cay-nhiet-doi")
    assert by_path.total_hits == 3


@pytest.mark.parametrize(
    "params",
    [
        {"category": 'x" OR seller_slug="htx-ba-den'},
        {"category": 'trai-cay" OR category_slugs = "do-uong'},
        {"seller": 'nobody" OR seller_slug != "nobody'},
        {"seller": "htx-ba-den\\"},
        {"category": "x') OR 1=1 --"},
    ],
)
async def test_injection_attempts_match_nothing(
    meili: AsyncClient, uid: str, catalog: Catalog, params: dict[str, str]
) -> None:
    result = await search(meili, uid, **params)
    assert result.total_hits == 0
    assert result.hits == []


async def test_facets_count_the_whole_result(meili: AsyncClient, uid: str, catalog: Catalog) -> None:
    result = await search(meili, uid)
    assert result.total_hits == 6
    assert result.facets["province_code"] == {str(TAY_NINH): 5, str(LAM_DONG): 1}
    assert result.facets["certifications"] == {"ocop": 2, "organic": 1, "vietgap": 1}
    assert result.facets["category_path"]["trai-cay"] == 3
    assert result.facets["category_path"]["trai-cay/trai-cay-nhiet-doi/mang-cau"] == 1
    assert result.facets["seller_slug"] == {"htx-ba-den": 5, "nong-trai-cau-dat": 1}
    assert result.facets["in_stock"] == {"true": 5, "false": 1}
    assert result.facets["storage"] == {"ambient": 5, "chilled": 1}
    assert "price_min" not in result.facets
    assert (result.price_stats.min, result.price_stats.max) == (25_000, 250_000)


async def test_sort_by_price_and_pages(meili: AsyncClient, uid: str, catalog: Catalog) -> None:
    cheapest = await search(meili, uid, sort="price_asc", page_size=4)
    assert [hit.price_min for hit in cheapest.hits] == [25_000, 35_000, 40_000, 65_000]
    assert (cheapest.total_hits, cheapest.total_pages) == (6, 2)
    second = await search(meili, uid, sort="price_asc", page_size=4, page=2)
    assert [hit.price_min for hit in second.hits] == [80_000, 250_000]
    dearest = await search(meili, uid, sort="price_desc")
    assert [hit.price_min for hit in dearest.hits][:2] == [250_000, 80_000]


async def test_missing_index_answers_an_empty_result(meili: AsyncClient, uid: str) -> None:
    result = await search(meili, uid, q="mang cau")
    assert (result.total_hits, result.hits, result.price_stats.min) == (0, [], None)


async def test_pre_orders_show_their_harvest_day_and_sort_by_it(meili: AsyncClient, uid: str, catalog: Catalog) -> None:
    soon = date.today() + timedelta(days=20)
    later = date.today() + timedelta(days=60)
    custard = catalog.custard
    tet = await product(catalog.htx, custard, "Mãng cầu Bà Đen vụ Tết", harvest_from=later, preorder_capacity=9)
    early = await product(catalog.htx, custard, "Mãng cầu Bà Đen vụ sớm", harvest_from=soon, preorder_capacity=9)
    full = await product(catalog.htx, custard, "Mãng cầu Bà Đen hết suất", harvest_from=soon, preorder_capacity=0)
    await mark_pending([tet.id, early.id, full.id])
    await drain(meili, uid, 100)

    result = await search(meili, uid, pre_order=True, sort="harvest")
    assert names(result) == ["Mãng cầu Bà Đen vụ sớm", "Mãng cầu Bà Đen vụ Tết"]
    assert [hit.harvest_from for hit in result.hits] == [soon.isoformat(), later.isoformat()]
    assert all(hit.pre_order and not hit.in_stock for hit in result.hits)
    assert full.id not in {hit.id for hit in result.hits}
    assert (await search(meili, uid)).facets["pre_order"] == {"true": 2, "false": 7}
