"""Headers and sessions: secrets and personal data are never stored by a cache, a client is told the truth about
when to retry, a suspended seller reads but does not write, and a logout that cannot end a credential says so."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import httpx
import pytest

from market.app import create_app
from market.settings import Settings
from tests.buyers import buyer_body, mobile_buyer, seller_with_products
from tests.factories import api_key, bearer, product_body, registered_seller
from tests.http import app_client
from tests.shoppers import address, checkout, fill_cart, guest, variant_ids


def assert_no_store(response: httpx.Response) -> None:
    assert response.status_code < 300, response.text
    assert "no-store" in response.headers.get("cache-control", ""), (response.request.url, response.headers)


async def test_answers_that_carry_a_secret_are_never_stored(client: httpx.AsyncClient, operator: str) -> None:
    registration = await client.post("/api/v1/accounts", json=buyer_body(client="mobile"))
    assert_no_store(registration)
    body = buyer_body(client="mobile")
    await client.post("/api/v1/accounts", json=body)
    login = {"identifier": body["identifier"], "password": body["password"], "client": "mobile"}
    assert_no_store(await client.post("/api/v1/sessions", json=login))
    assert_no_store(await client.post("/api/v1/carts"))
    seller = await registered_seller(client, approve_with=operator)
    owner = {"identifier": seller["owner"]["identifier"], "password": seller["owner"]["password"]}
    assert_no_store(await client.post("/seller/v1/sessions", json=owner))
    keys = await client.post(
        "/seller/v1/api-keys", json={"name": "k", "scopes": ["catalog:write"]}, headers=bearer(seller["session"])
    )
    assert_no_store(keys)
    invited = await client.post(
        "/seller/v1/members", json={"identifier": "staff@example.vn", "role": "staff"},
        headers=bearer(seller["session"]),
    )  # fmt: skip
    assert_no_store(invited)


async def test_personal_data_is_never_stored(client: httpx.AsyncClient, operator: str, categories: None) -> None:
    buyer = await mobile_buyer(client)
    assert_no_store(await client.get("/api/v1/me", headers=buyer["headers"]))
    assert_no_store(await client.post("/api/v1/me/addresses", json=address(), headers=buyer["headers"]))
    assert_no_store(await client.get("/api/v1/me/addresses", headers=buyer["headers"]))
    assert_no_store(await client.get("/api/v1/orders", headers=buyer["headers"]))
    assert_no_store(await client.get("/api/v1/carts/current", headers=buyer["headers"]))
    shop = await seller_with_products(client, operator, [{}])
    assert_no_store(await client.get("/seller/v1/orders", headers=bearer(shop["key"])))
    assert_no_store(await client.get("/admin/v1/orders", headers=bearer(operator)))
    headers = await guest(client)
    await fill_cart(client, headers, [(variant_ids(shop["products"][0])[1], 1)])
    placed = await checkout(client, headers)
    assert_no_store(placed)
    order = placed.json()
    read = await client.get(f"/api/v1/guest-orders/{order['id']}", headers={"Order-Token": order["access_token"]})
    assert_no_store(read)


async def test_security_headers_are_on_every_answer(client: httpx.AsyncClient) -> None:
    for response in (await client.get("/health/live"), await client.get("/api/v1/products/none"),
                     await client.get("/api/v1/me")):  # fmt: skip
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"


@pytest.fixture
async def strict(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """The app with small limits: 3 attempts a minute per address, 2 failures per account."""
    async with app_client(create_app(replace(settings, auth_attempts_per_address=3,
                                             auth_failures_per_account=2))) as limited:  # fmt: skip
        yield limited


async def test_retry_after_never_promises_less_than_the_limiter_will_wait(strict: httpx.AsyncClient) -> None:
    """The account's 15 minutes are used up before the address's minute: waiting the address's minute would only
    meet the account's limit, so the answer says how long the account waits."""
    wrong = {"identifier": "0933111222", "password": "not-the-password"}
    waits = []
    for _ in range(6):
        response = await strict.post("/api/v1/sessions", json=wrong)
        if response.status_code == 429:
            waits.append(int(response.headers["retry-after"]))
    assert len(waits) >= 3, waits
    assert min(waits) > 800, waits  # every answer names the account's wait, never the address's minute


async def test_a_suspended_sellers_session_and_keys_read_but_do_not_write(
    client: httpx.AsyncClient, operator: str, categories: None
) -> None:
    shop = await seller_with_products(client, operator, [{}])
    product_id = shop["products"][0]["id"]
    suspended = await client.post(
        f"/admin/v1/sellers/{shop['seller']['id']}/suspend", json={"reason": "Hàng giả"}, headers=bearer(operator)
    )
    assert suspended.status_code == 200, suspended.text
    for token in (shop["session"], shop["key"]):
        assert (await client.get("/seller/v1/seller", headers=bearer(token))).status_code == 200
        assert (await client.get(f"/seller/v1/products/{product_id}", headers=bearer(token))).status_code == 200
        edit = await client.patch(f"/seller/v1/products/{product_id}", json={"name": "Mãng cầu mới"},
                                  headers=bearer(token))  # fmt: skip
        assert edit.status_code == 403, edit.text
        assert edit.json()["code"] == "seller_suspended"
        created = await client.post("/seller/v1/products", json=product_body(), headers=bearer(token))
        assert created.status_code == 403 and created.json()["code"] == "seller_suspended"
    profile = await client.patch("/seller/v1/seller", json={"display_name": "Tên mới"}, headers=bearer(shop["session"]))
    assert profile.status_code == 403 and profile.json()["code"] == "seller_suspended"
    read = await client.get(f"/seller/v1/products/{product_id}", headers=bearer(shop["key"]))
    assert read.json()["name"] == shop["products"][0]["name"]
    reinstated = await client.post(
        f"/admin/v1/sellers/{shop['seller']['id']}/reinstate", json={"reason": "Đã xác minh"}, headers=bearer(operator)
    )
    assert reinstated.status_code == 200
    edit = await client.patch(f"/seller/v1/products/{product_id}", json={"name": "Mãng cầu mới"},
                              headers=bearer(shop["key"]))  # fmt: skip
    assert edit.status_code == 200, edit.text


async def test_logging_out_with_an_api_key_says_it_is_not_a_session(client: httpx.AsyncClient, operator: str) -> None:
    seller = await registered_seller(client, approve_with=operator)
    key = await api_key(client, seller["session"])
    response = await client.delete("/seller/v1/sessions/current", headers=bearer(key))
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "api_key_not_a_session"
    assert (await client.get("/seller/v1/seller", headers=bearer(key))).status_code == 200
    unknown = await client.delete("/seller/v1/sessions/current", headers=bearer("mss_" + "x" * 43))
    assert unknown.status_code == 401, unknown.text
    ended = await client.delete("/seller/v1/sessions/current", headers=bearer(seller["session"]))
    assert ended.status_code == 204
    assert (await client.get("/seller/v1/seller", headers=bearer(seller["session"]))).status_code == 401


async def test_a_buyer_logout_with_a_seller_credential_says_so(client: httpx.AsyncClient, operator: str) -> None:
    seller = await registered_seller(client, approve_with=operator)
    key = await api_key(client, seller["session"])
    response = await client.delete("/api/v1/sessions/current", headers=bearer(key))
    assert response.status_code == 409, response.text
    assert response.json()["code"] == "api_key_not_a_session"
