"""Buyer sessions live in Redis (a registered store, shared by every process) and slide; sign-in is rate limited
per client address and per account, from Redis."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest
from litestar import Litestar

from market.app import create_app
from market.core.resources import Resources
from market.core.security import digest
from market.settings import Settings
from market.web.sessions import SESSION_STORE, BuyerSessionStore
from tests.buyers import PASSWORD, buyer_body, mobile_buyer
from tests.factories import bearer
from tests.http import app_client


def session_key(resources: Resources, token: str) -> str:
    return f"{resources.settings.redis_key_prefix}buyer-session:{digest(token)}"


async def test_the_session_store_is_the_registered_redis_store(app: Litestar) -> None:
    assert isinstance(app.stores.get(SESSION_STORE), BuyerSessionStore)


async def test_a_session_is_a_redis_key_that_another_app_instance_honours(
    client: httpx.AsyncClient, settings: Settings, resources: Resources
) -> None:
    buyer = await mobile_buyer(client)
    key = session_key(resources, buyer["token"])
    assert await resources.redis.exists(key) == 1
    assert buyer["token"] not in str(await resources.redis.get(key))  # only its digest names it
    async with app_client(create_app(settings)) as second_instance:
        me = await second_instance.get("/api/v1/me", headers=buyer["headers"])
        assert me.status_code == 200 and me.json()["id"] == buyer["account"]["id"]
        await second_instance.delete("/api/v1/sessions/current", headers=buyer["headers"])
    assert (await client.get("/api/v1/me", headers=buyer["headers"])).status_code == 401


async def test_each_use_slides_the_session_lifetime(client: httpx.AsyncClient, resources: Resources) -> None:
    buyer = await mobile_buyer(client)
    key = session_key(resources, buyer["token"])
    index = f"{resources.settings.redis_key_prefix}buyer-session:account:{buyer['account']['id']}"
    ttl = resources.settings.session_ttl_s
    assert ttl - 5 <= await resources.redis.ttl(key) <= ttl
    await resources.redis.expire(key, 30)
    await resources.redis.expire(index, 30)
    assert (await client.get("/api/v1/me", headers=buyer["headers"])).status_code == 200
    assert await resources.redis.ttl(key) > ttl - 5
    assert await resources.redis.ttl(index) > ttl - 5


@pytest.fixture
async def strict(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with small limits: 3 attempts a minute per address, 2 failures per account."""
    limited = replace(settings, auth_attempts_per_address=3, auth_failures_per_account=2)
    async with app_client(create_app(limited)) as client:
        yield client


@pytest.fixture
async def behind_proxy(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The same limits, behind a proxy that sets X-Forwarded-For."""
    limited = replace(settings, auth_attempts_per_address=3, auth_failures_per_account=2,
                      trusted_proxy_header="x-forwarded-for")  # fmt: skip
    async with app_client(create_app(limited)) as client:
        yield client


def assert_limited(response: httpx.Response) -> None:
    assert response.status_code == 429, response.text
    assert response.json()["code"] == "rate_limited"
    assert 1 <= int(response.headers["retry-after"]) <= 900


async def test_sign_in_attempts_are_limited_per_address_before_any_hashing(strict: httpx.AsyncClient) -> None:
    attempts = [{"identifier": f"nobody{n}@example.vn", "password": "x" * 12} for n in range(4)]
    statuses = [(await strict.post("/api/v1/sessions", json=body)).status_code for body in attempts[:3]]
    assert statuses == [401, 401, 401]
    assert_limited(await strict.post("/api/v1/sessions", json=attempts[3]))
    # a spoofed X-Forwarded-For is ignored when no proxy header is trusted
    assert_limited(await strict.post("/api/v1/sessions", json=attempts[0], headers={"X-Forwarded-For": "203.0.113.9"}))


async def test_an_address_that_keeps_flooding_stays_refused(strict: httpx.AsyncClient, resources: Resources) -> None:
    body = {"identifier": "nobody@example.vn", "password": "x" * 12}
    for _ in range(4):
        await strict.post("/api/v1/sessions", json=body)
    pattern = f"{resources.settings.redis_key_prefix}auth-limit:login:address:*"  # not another run's keys
    keys = [key async for key in resources.redis.scan_iter(match=pattern)]
    assert len(keys) == 1
    await resources.redis.expire(keys[0], 3)  # the minute is nearly over, but the flood goes on
    assert_limited(await strict.post("/api/v1/sessions", json=body))
    assert await resources.redis.ttl(keys[0]) > 50


async def test_failures_are_limited_per_account_from_any_address(behind_proxy: httpx.AsyncClient) -> None:
    buyer = await mobile_buyer(behind_proxy, identifier="0933111222")
    wrong = {"identifier": "+84933111222", "password": "not-the-password"}
    for n in range(2):
        response = await behind_proxy.post("/api/v1/sessions", json=wrong, headers={"X-Forwarded-For": f"10.0.0.{n}"})
        assert response.status_code == 401
    right = {"identifier": buyer["identifier"], "password": PASSWORD}
    assert_limited(await behind_proxy.post("/api/v1/sessions", json=right, headers={"X-Forwarded-For": "10.0.0.9"}))


async def test_behind_a_trusted_proxy_each_client_address_has_its_own_budget(behind_proxy: httpx.AsyncClient) -> None:
    for n in range(3):
        body = {"identifier": f"nobody{n}@example.vn", "password": "x" * 12}
        headers = {"X-Forwarded-For": "198.51.100.7, 203.0.113.1"}  # the proxy appended the address it saw
        assert (await behind_proxy.post("/api/v1/sessions", json=body, headers=headers)).status_code == 401
    body = {"identifier": "someone@example.vn", "password": "x" * 12}
    limited = await behind_proxy.post("/api/v1/sessions", json=body, headers={"X-Forwarded-For": "203.0.113.1"})
    assert_limited(limited)
    other = await behind_proxy.post("/api/v1/sessions", json=body, headers={"X-Forwarded-For": "203.0.113.2"})
    assert other.status_code == 401


async def test_registration_is_limited_per_address(strict: httpx.AsyncClient) -> None:
    for _ in range(3):
        assert (await strict.post("/api/v1/accounts", json=buyer_body(password="short"))).status_code == 422
    assert_limited(await strict.post("/api/v1/accounts", json=buyer_body()))


async def test_password_guesses_through_a_stolen_session_are_limited(strict: httpx.AsyncClient) -> None:
    buyer = await mobile_buyer(strict)
    guess = {"current_password": "guess-number-one", "new_password": "thanh-long-ruot-do-2026"}
    for _ in range(2):
        response = await strict.post("/api/v1/me/password", json=guess, headers=bearer(buyer["token"]))
        assert response.status_code == 422
    assert_limited(await strict.post("/api/v1/me/password", json=guess, headers=bearer(buyer["token"])))
