"""`GET /api/v1/search` on the real app: JSON results, 422 problems naming the field, 503 when Meilisearch is down."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import replace

import httpx
import pytest
from litestar import Litestar

from market.app import create_app
from market.settings import Settings
from search.api import SearchController
from tests.http import app_client
from tests.search.factories import Catalog
from tests.services import OwnMeilisearch, meili_binary

PATH = "/api/v1/search"


def search_app(settings: Settings) -> Litestar:
    """The real app, with the search controller mounted here until `create_app` mounts it itself."""
    app = create_app(settings)
    if any(route.path == PATH for route in app.routes):
        return app
    return create_app(settings, extra_route_handlers=[SearchController])


@pytest.fixture
async def api(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    async with app_client(search_app(settings)) as client:
        yield client


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, object] = response.json()
    assert body["code"] == code
    return body


async def test_search_answers_hits_facets_and_price_stats(api: httpx.AsyncClient, catalog: Catalog) -> None:
    response = await api.get(PATH, params={"q": "mang cau ba den", "page_size": 5})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "search_result"
    assert (body["page"], body["page_size"], body["total_hits"], body["total_pages"]) == (1, 5, 1, 1)
    assert body["query"]["q"] == "mang cau ba den"
    (hit,) = body["hits"]
    assert hit == {
        "id": catalog.mang_cau.id,
        "object": "product",
        "slug": catalog.mang_cau.slug,
        "name": "Mãng cầu Bà Đen",
        "image": catalog.mang_cau.images[0],
        "category": "mang-cau",
        "province": "Tây Ninh",
        "province_code": 80,
        "seller": {"id": catalog.htx.id, "object": "seller", "slug": "htx-ba-den", "name": "HTX Nông nghiệp Bà Đen"},
        "price_min": 65_000,
        "price_max": 120_000,
        "currency": "VND",
        "in_stock": True,
        "pre_order": False,
        "certifications": ["ocop", "vietgap"],
        "ocop_stars": 4,
        "harvest_from": None,
    }
    assert body["facets"]["certifications"] == {"ocop": 1, "vietgap": 1}
    assert body["price_stats"] == {"min": 65_000, "max": 65_000}


async def test_repeated_certification_and_typed_filters(api: httpx.AsyncClient, catalog: Catalog) -> None:
    response = await api.get(
        PATH, params=[("certification", "organic"), ("certification", "vietgap"), ("sort", "price_desc")]
    )
    assert [hit["name"] for hit in response.json()["hits"]] == ["Cà phê Arabica Cầu Đất Đà Lạt", "Mãng cầu Bà Đen"]
    response = await api.get(PATH, params={"in_stock": "false", "province": "68"})
    assert [hit["id"] for hit in response.json()["hits"]] == [catalog.ca_phe.id]


async def test_an_injection_attempt_matches_nothing(api: httpx.AsyncClient, catalog: Catalog) -> None:
    response = await api.get(PATH, params={"category": 'x" OR seller_slug="htx-ba-den'})
    assert response.status_code == 200, response.text
    assert response.json()["total_hits"] == 0


@pytest.mark.parametrize(
    ("params", "field", "code"),
    [
        ({"price_min": "90000", "price_max": "10000"}, "price_max", "out_of_range"),
        ({"page": "0"}, "page", "out_of_range"),
        ({"page_size": "101"}, "page_size", "out_of_range"),
        ({"ocop_stars_min": "6"}, "ocop_stars_min", "out_of_range"),
        ({"certification": "fairtrade"}, "certification", "invalid_choice"),
        ({"sort": "cheapest"}, "sort", "invalid_choice"),
        ({"storage": "warm"}, "storage", "invalid_choice"),
        ({"q": "x" * 201}, "q", "too_long"),
        ({"province": "tay-ninh"}, "province", "invalid_type"),
        ({"in_stock": "maybe"}, "in_stock", "invalid_type"),
    ],
)
async def test_bad_parameters_are_422_problems_naming_the_field(
    api: httpx.AsyncClient, params: dict[str, str], field: str, code: str
) -> None:
    body = assert_problem(await api.get(PATH, params=params), 422, "validation_failed")
    errors = body["errors"]
    assert isinstance(errors, list)
    assert [(error["field"], error["code"]) for error in errors] == [(field, code)]


async def test_before_the_first_sync_the_answer_is_empty_not_an_error(api: httpx.AsyncClient) -> None:
    response = await api.get(PATH, params={"q": "khom"})
    assert response.status_code == 200, response.text
    assert (response.json()["total_hits"], response.json()["hits"]) == (0, [])


@pytest.fixture
def stopped_meili() -> Iterator[OwnMeilisearch]:
    server = OwnMeilisearch(meili_binary(), master_key="search-api-master-key-0123456789")
    server.start()
    server.stop()
    yield server
    server.cleanup()


async def test_meilisearch_down_is_a_503_and_it_heals(settings: Settings, stopped_meili: OwnMeilisearch) -> None:
    app_settings = replace(settings, meili_url=stopped_meili.url, meili_master_key=stopped_meili.master_key)
    async with app_client(search_app(app_settings)) as client:
        response = await client.get(PATH, params={"q": "mang cau"})
        body = assert_problem(response, 503, "dependency_unavailable")
        assert body["dependency"] == "meilisearch"
        assert response.headers["retry-after"]

        stopped_meili.start()
        healed = await client.get(PATH, params={"q": "mang cau"})
        assert healed.status_code == 200, healed.text
