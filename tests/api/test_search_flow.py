"""From the seller API to a buyer's search, through the outbox, the worker and Meilisearch, end to end."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

import httpx

from market.app import create_app
from market.settings import Settings
from tests.factories import active_product, bearer
from tests.http import app_client
from tests.services import free_port


async def search_until(client: httpx.AsyncClient, params: dict, found: bool, seconds: float = 10) -> dict:
    deadline = time.monotonic() + seconds
    while True:
        body: dict = (await client.get("/api/v1/search", params=params)).json()
        if bool(body.get("hits")) == found or time.monotonic() > deadline:
            return body
        await asyncio.sleep(0.1)


async def test_a_product_is_found_without_diacritics_and_leaves_with_its_seller(
    client: httpx.AsyncClient, seller: dict, operator: str, worker: Callable[[], Awaitable[None]]
) -> None:
    product = await active_product(client, seller["key"], operator, name="Khóm Bến Lức mật ong", category="khom-dua")
    await worker()
    typed = await search_until(client, {"q": "khom ben luc"}, found=True)
    assert [hit["slug"] for hit in typed["hits"]] == [product["slug"]]
    assert typed["hits"][0]["price_min"] == 65000 and typed["hits"][0]["in_stock"] is True
    regional = await search_until(client, {"q": "dua"}, found=True)  # dứa, a synonym of khóm
    assert product["slug"] in [hit["slug"] for hit in regional["hits"]]
    filtered = await search_until(client, {"q": "khom", "province": 80, "certification": "ocop"}, found=True)
    assert filtered["facets"]["certifications"]["ocop"] == 1

    await client.post(
        f"/admin/v1/sellers/{seller['seller']['id']}/suspend", json={"reason": "Kiểm tra"}, headers=bearer(operator)
    )
    await worker()
    assert (await search_until(client, {"q": "khom ben luc"}, found=False))["hits"] == []


async def test_with_meilisearch_down_search_fails_fast_and_browsing_keeps_working(
    settings: Settings, client: httpx.AsyncClient, categories: None
) -> None:
    dead = replace(settings, meili_url=f"http://127.0.0.1:{free_port()}")
    async with app_client(create_app(dead)) as down:
        started = time.perf_counter()
        response = await down.get("/api/v1/search", params={"q": "mang cau"})
        assert response.status_code == 503
        assert (time.perf_counter() - started) < 0.2
        assert response.json()["dependency"] == "meilisearch"
        assert (await down.get("/api/v1/categories")).status_code == 200
        assert (await down.get("/api/v1/products")).status_code == 200
