"""Redis down: sessions and carts answer 503 problem+json at once, browsing and search keep working, and all of
it heals when Redis returns, without a restart.

The test runs the app on a Redis of its own (tests/services.py), so stopping it never disturbs the rest of the suite.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
import pytest
from litestar import Litestar

from market.app import create_app
from market.catalog.categories import seed_categories
from market.settings import Settings
from tests.buyers import buyer_body, csrf, seller_with_products, web_buyer, web_client
from tests.factories import operator_token
from tests.http import app_client
from tests.services import OwnRedis

FAST_MS = 100


@pytest.fixture
async def on_own_redis(settings: Settings, own_redis: OwnRedis) -> AsyncIterator[tuple[Litestar, httpx.AsyncClient]]:
    app = create_app(replace(settings, redis_url=own_redis.url))
    async with app_client(app) as client:
        yield app, client


async def timed(call: Any) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await call
    return response, (time.perf_counter() - started) * 1000


def assert_fast_503(response: httpx.Response, elapsed_ms: float) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"]
    assert response.json()["code"] == "dependency_unavailable" and response.json()["dependency"] == "redis"
    assert elapsed_ms < FAST_MS, f"took {elapsed_ms:.0f} ms"


async def test_sessions_and_carts_fail_fast_while_redis_is_down_and_heal(
    on_own_redis: tuple[Litestar, httpx.AsyncClient], own_redis: OwnRedis
) -> None:
    app, client = on_own_redis
    await seed_categories()
    shop = await seller_with_products(client, await operator_token(), [{}])
    variant_id = shop["products"][0]["variants"][1]["id"]
    mobile = await client.post("/api/v1/accounts", json=buyer_body(client="mobile"))
    headers = {"Authorization": f"Bearer {mobile.json()['session']['token']}"}
    cart = {"Cart-Token": (await client.post("/api/v1/carts")).json()["token"]}
    line = {"variant_id": variant_id, "quantity": 1}
    async with web_client(app) as web:
        await web_buyer(web)
        own_redis.stop()
        for call in (
            client.get("/api/v1/me", headers=headers),
            web.get("/api/v1/me"),
            web.post("/api/v1/carts/current/lines", json=line, headers=csrf(web)),
            client.post("/api/v1/sessions", json={"identifier": "a@b.vn", "password": "x" * 12}),
            client.post("/api/v1/accounts", json=buyer_body()),
            client.get("/api/v1/carts/current", headers=cart),
            client.post("/api/v1/carts/current/lines", json=line, headers=cart),
            client.delete("/api/v1/sessions/current", headers=headers),
        ):
            assert_fast_503(*await timed(call))
        assert (await client.get("/api/v1/products")).status_code == 200
        assert (await client.get("/api/v1/categories")).status_code == 200
        assert (await client.get(f"/api/v1/sellers/{shop['seller']['slug']}")).status_code == 200
        assert (await client.get("/api/v1/search", params={"q": "mang cau"})).status_code != 503

        own_redis.start()  # an empty Redis: sessions and carts were lost with it, and everything works again
        assert (await client.get("/api/v1/me", headers=headers)).status_code == 401
        assert (await client.post("/api/v1/carts/current/lines", json=line, headers=cart)).status_code == 201
        assert (await client.get("/api/v1/carts/current", headers=cart)).json()["line_count"] == 1
        again = await web.post("/api/v1/sessions", json={"identifier": "a@b.vn", "password": "x" * 12},
                               headers=csrf(web))  # fmt: skip
        assert again.status_code == 401
        assert (await client.post("/api/v1/accounts", json=buyer_body())).status_code == 201
