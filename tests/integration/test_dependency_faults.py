"""A dependency that goes down makes the endpoints that need it answer 503 fast, and they heal on their own.

Each test starts its own Redis and Meilisearch, so stopping them never disturbs the rest of the suite.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from market.app import create_app
from market.settings import Settings
from tests.http import app_client
from tests.probes import PROBES
from tests.services import OwnMeilisearch, OwnRedis

FAST_MS = 200


@pytest.fixture
async def faulty_client(
    settings: Settings, own_redis: OwnRedis, own_meili: OwnMeilisearch
) -> AsyncIterator[httpx.AsyncClient]:
    app_settings = replace(
        settings, redis_url=own_redis.url, meili_url=own_meili.url, meili_master_key=own_meili.master_key
    )
    async with app_client(create_app(app_settings, extra_route_handlers=PROBES)) as client:
        yield client


async def timed_get(client: httpx.AsyncClient, path: str) -> tuple[httpx.Response, float]:
    started = time.perf_counter()
    response = await client.get(path)
    return response, (time.perf_counter() - started) * 1000


def assert_fast_503(response: httpx.Response, elapsed_ms: float, dependency: str) -> None:
    assert response.status_code == 503, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.headers["retry-after"]
    body = response.json()
    assert body["code"] == "dependency_unavailable"
    assert dependency in (body.get("dependency"), *body.get("dependencies", ()))
    assert elapsed_ms < FAST_MS, f"took {elapsed_ms:.0f} ms"


@pytest.mark.parametrize(
    ("dependency", "server_fixture", "other"),
    [("redis", "own_redis", "meilisearch"), ("meilisearch", "own_meili", "redis")],
)
async def test_dependency_down_then_back_without_restart(
    faulty_client: httpx.AsyncClient, request: pytest.FixtureRequest, dependency: str, server_fixture: str, other: str
) -> None:
    server: OwnRedis | OwnMeilisearch = request.getfixturevalue(server_fixture)
    assert (await faulty_client.get(f"/probe/{dependency}")).status_code == 200

    server.stop()
    response, elapsed = await timed_get(faulty_client, f"/probe/{dependency}")
    assert_fast_503(response, elapsed, dependency)
    ready, elapsed = await timed_get(faulty_client, "/health/ready")
    assert_fast_503(ready, elapsed, dependency)
    assert ready.json()["dependencies"] == [dependency]
    assert ready.json()["checks"]["postgres"]["status"] == "up"
    assert (await faulty_client.get(f"/probe/{other}")).status_code == 200  # the others keep working

    server.start()
    assert (await faulty_client.get(f"/probe/{dependency}")).status_code == 200
    assert (await faulty_client.get("/health/ready")).status_code == 200


async def test_app_starts_with_dependencies_down_and_heals(
    settings: Settings, own_redis: OwnRedis, own_meili: OwnMeilisearch
) -> None:
    own_redis.stop()
    own_meili.stop()
    app_settings = replace(
        settings, redis_url=own_redis.url, meili_url=own_meili.url, meili_master_key=own_meili.master_key
    )
    async with app_client(create_app(app_settings, extra_route_handlers=PROBES)) as client:
        assert (await client.get("/health/live")).status_code == 200
        ready, elapsed = await timed_get(client, "/health/ready")
        assert_fast_503(ready, elapsed, "redis")
        assert sorted(ready.json()["dependencies"]) == ["meilisearch", "redis"]

        own_redis.start()
        own_meili.start()
        healed = await client.get("/health/ready")
        assert healed.status_code == 200, healed.text
        assert (await client.get("/probe/redis")).json() == {"count": 1}
