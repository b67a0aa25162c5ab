"""Carts: guest and customer carts in Redis, lines by seller with current prices, warnings and estimates."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta
from typing import Any

import httpx
import pytest
from litestar import Litestar

from market.cart import service as cart_service
from market.cart.store import CUSTOMER_TTL_S, GUEST_TTL_S
from market.core import clock
from market.core.resources import Resources
from tests.buyers import PASSWORD, csrf, mobile_buyer, seller_with_products, variants_body, web_client
from tests.factories import bearer, product_body


@pytest.fixture(autouse=True)
def fresh_catalog_facts() -> None:
    cart_service._cache.clear()


@pytest.fixture
async def shop(client: httpx.AsyncClient, operator: str, categories: None) -> dict[str, Any]:
    """Two approved sellers: one with the default product (catch-weight kg, thùng max 5), one with a pre-order."""
    harvest = clock.today() + timedelta(days=20)
    preorder = {"sku": "MC-PRE", "unit": "kg", "unit_size": "1 kg", "price": 80_000, "weight_g": 1000,
                "preorder": {"opens_on": clock.today().isoformat(), "harvest_from": harvest.isoformat(),
                             "harvest_to": (harvest + timedelta(days=10)).isoformat(), "capacity": 30}}  # fmt: skip
    first = await seller_with_products(client, operator, [{}])
    second = await seller_with_products(client, operator, [{"name": "Mãng cầu đặt trước", "variants": [preorder]}])
    kg, box = first["products"][0]["variants"]
    return {"first": first, "second": second, "kg": kg, "box": box, "pre": second["products"][0]["variants"][0],
            "harvest": harvest}  # fmt: skip


async def guest(client: httpx.AsyncClient) -> dict[str, str]:
    created = await client.post("/api/v1/carts")
    assert created.status_code == 201, created.text
    assert created.json()["id"].startswith("crt_") and created.json()["line_count"] == 0
    return {"Cart-Token": created.json()["token"]}


async def add(client: httpx.AsyncClient, headers: dict[str, str], variant_id: str, quantity: int) -> httpx.Response:
    return await client.post(
        "/api/v1/carts/current/lines", json={"variant_id": variant_id, "quantity": quantity}, headers=headers
    )


async def test_a_cart_groups_lines_by_seller_with_estimates_and_harvest_windows(
    client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    headers = await guest(client)
    added = await add(client, headers, shop["kg"]["id"], 2)
    assert added.status_code == 201, added.text
    assert added.json() == {"cart_id": added.json()["cart_id"], "variant_id": shop["kg"]["id"], "quantity": 2,
                            "price": 65_000, "currency": "VND", "object": "cart_line"}  # fmt: skip
    assert (await add(client, headers, shop["box"]["id"], 1)).status_code == 201
    assert (await add(client, headers, shop["pre"]["id"], 3)).status_code == 201
    assert (await add(client, headers, shop["box"]["id"], 2)).json()["quantity"] == 3  # adds up
    cart = (await client.get("/api/v1/carts/current", headers=headers)).json()
    assert cart["kind"] == "guest" and cart["line_count"] == 3 and cart["item_count"] == 8
    assert [group["seller"]["id"] for group in cart["groups"]] == [
        shop["first"]["seller"]["id"], shop["second"]["seller"]["id"]
    ]  # fmt: skip
    first, second = cart["groups"]
    assert set(first["seller"]) == {"id", "slug", "display_name", "kind", "province", "ward", "description", "object"}
    assert first["subtotal"] == 2 * 65_000 + 3 * 300_000 and second["subtotal"] == 3 * 80_000
    assert cart["subtotal"] == first["subtotal"] + second["subtotal"] and cart["currency"] == "VND"
    kg_line = first["lines"][0]
    assert kg_line["catch_weight"] == {"tolerance_percent": 10, "amount_min": 117_000, "amount_max": 143_000}
    assert kg_line["product"]["slug"] == shop["first"]["products"][0]["slug"] and kg_line["warnings"] == []
    assert first["lines"][1]["catch_weight"] is None
    pre_line = second["lines"][0]
    assert pre_line["preorder"]["harvest_from"] == shop["harvest"].isoformat()
    assert pre_line["available"] == 30 and pre_line["purchasable"] is True


@pytest.mark.parametrize(
    "token",
    ["garbage", "crt_0000000000000000000000000.c2lnbmF0dXJl", "x" * 500, ""],
)
async def test_forged_or_malformed_cart_tokens_are_refused(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get("/api/v1/carts/current", headers={"Cart-Token": token})
    assert response.status_code == 401
    assert response.json()["code"] == ("invalid_cart_token" if token else "not_authenticated")


async def test_a_token_re_signed_for_another_cart_is_refused(client: httpx.AsyncClient) -> None:
    mine = (await client.post("/api/v1/carts")).json()
    other = (await client.post("/api/v1/carts")).json()
    forged = f"{other['id']}.{mine['token'].partition('.')[2]}"
    response = await client.get("/api/v1/carts/current", headers={"Cart-Token": forged})
    assert response.status_code == 401 and response.json()["code"] == "invalid_cart_token"


async def test_bad_lines_are_refused_with_a_code_and_change_nothing(
    client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    headers = await guest(client)
    cases: list[tuple[dict[str, Any], int, str]] = [
        ({"variant_id": "var_0000000000000000000000000", "quantity": 1}, 422, "unknown_variant"),
        ({"variant_id": "not a variant", "quantity": 1}, 422, "unknown_variant"),
        ({"variant_id": shop["kg"]["id"], "quantity": 0}, 422, "out_of_range"),
        ({"variant_id": shop["kg"]["id"], "quantity": -2}, 422, "out_of_range"),
        ({"variant_id": shop["box"]["id"], "quantity": 6}, 422, "above_maximum"),
        ({"variant_id": shop["kg"]["id"], "quantity": 41}, 409, "insufficient_stock"),
        ({"variant_id": shop["kg"]["id"], "quantity": 1, "price": 1}, 422, "unknown_field"),
    ]
    for body, status, code in cases:
        response = await client.post("/api/v1/carts/current/lines", json=body, headers=headers)
        assert response.status_code == status, (body, response.text)
        problem = response.json()
        assert code in (problem["code"], *(error["code"] for error in problem.get("errors", ())))
    assert (await client.get("/api/v1/carts/current", headers=headers)).json()["line_count"] == 0


async def test_variants_not_on_sale_cannot_be_added(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str
) -> None:
    key = shop["first"]["key"]
    draft = await client.post("/seller/v1/products", json=product_body(), headers=bearer(key))
    product_id = shop["first"]["products"][0]["id"]
    archived = await client.post(
        f"/seller/v1/products/{product_id}/variants/{shop['box']['id']}/archive", headers=bearer(key)
    )
    assert archived.status_code == 200, archived.text
    headers = await guest(client)
    for variant_id in (draft.json()["variants"][0]["id"], shop["box"]["id"]):
        response = await add(client, headers, variant_id, 1)
        assert response.status_code == 422 and response.json()["errors"][0]["code"] == "variant_unavailable"


async def test_pre_orders_wait_for_their_opening(client: httpx.AsyncClient, operator: str, categories: None) -> None:
    opens = clock.today() + timedelta(days=5)
    window = {"opens_on": opens.isoformat(), "harvest_from": (opens + timedelta(days=9)).isoformat(),
              "harvest_to": (opens + timedelta(days=19)).isoformat(), "capacity": 10}  # fmt: skip
    shop = await seller_with_products(client, operator, [{"variants": variants_body(1, stock=None, preorder=window)}])
    response = await add(client, await guest(client), shop["products"][0]["variants"][0]["id"], 1)
    assert response.status_code == 409 and response.json()["code"] == "preorder_not_open"


async def test_warnings_when_the_price_changes_or_stock_falls_short(
    client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    headers = await guest(client)
    await add(client, headers, shop["kg"]["id"], 5)
    await add(client, headers, shop["box"]["id"], 4)
    product_id, key = shop["first"]["products"][0]["id"], shop["first"]["key"]
    variants = f"/seller/v1/products/{product_id}/variants"
    await client.patch(f"{variants}/{shop['kg']['id']}", json={"price": 70_000}, headers=bearer(key))
    await client.patch(f"{variants}/{shop['box']['id']}", json={"stock": 3}, headers=bearer(key))
    kg_line, box_line = (await client.get("/api/v1/carts/current", headers=headers)).json()["groups"][0]["lines"]
    assert kg_line["price"] == 70_000 and kg_line["price_when_added"] == 65_000 and kg_line["purchasable"] is True
    assert kg_line["warnings"][0]["code"] == "price_changed" and kg_line["warnings"][0]["previous_price"] == 65_000
    assert box_line["warnings"] == [{"code": "insufficient_stock", "message": "Only 3 left.", "previous_price": None,
                                     "available": 3}]  # fmt: skip
    assert box_line["purchasable"] is False
    cart = (await client.get("/api/v1/carts/current", headers=headers)).json()
    assert cart["subtotal"] == 5 * 70_000 and cart["has_warnings"] is True


async def test_lines_change_and_go(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    headers = await guest(client)
    line = f"/api/v1/carts/current/lines/{shop['box']['id']}"
    assert (await client.patch(line, json={"quantity": 2}, headers=headers)).status_code == 404
    await add(client, headers, shop["box"]["id"], 1)
    assert (await client.patch(line, json={"quantity": 4}, headers=headers)).json()["quantity"] == 4
    too_many = await client.patch(line, json={"quantity": 9}, headers=headers)
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["code"] == "above_maximum"
    assert (await client.delete(line, headers=headers)).status_code == 204
    assert (await client.delete(line, headers=headers)).status_code == 404
    assert (await client.get("/api/v1/carts/current", headers=headers)).json()["line_count"] == 0


async def test_a_cart_holds_at_most_100_lines(
    client: httpx.AsyncClient, shop: dict[str, Any], resources: Resources
) -> None:
    headers = await guest(client)
    await add(client, headers, shop["kg"]["id"], 1)
    cart_id = (await client.get("/api/v1/carts/current", headers=headers)).json()["id"]
    key = f"{resources.settings.redis_key_prefix}cart:{cart_id}"
    filler = {f"{kind}:var_fill{n:03d}": 1 for n in range(99) for kind in "qpt"}
    await resources.redis.hset(key, mapping=filler)  # type: ignore[misc]
    full = await add(client, headers, shop["box"]["id"], 1)
    assert full.status_code == 409 and full.json()["code"] == "cart_full"
    assert (await add(client, headers, shop["kg"]["id"], 1)).json()["quantity"] == 2  # existing lines still grow


async def test_two_devices_adding_at_once_never_lose_a_line(
    app: Litestar, client: httpx.AsyncClient, operator: str, categories: None
) -> None:
    shop = await seller_with_products(client, operator, [{"variants": variants_body(20)},
                                                         {"variants": variants_body(20)}])  # fmt: skip
    variant_ids = [variant["id"] for product in shop["products"] for variant in product["variants"]]
    phone = await mobile_buyer(client)
    async with web_client(app) as browser:
        signed_in = await browser.post("/api/v1/sessions", json={"identifier": phone["identifier"],
                                                                 "password": PASSWORD})  # fmt: skip
        assert signed_in.status_code == 201
        devices = [(client, phone["headers"]), (browser, csrf(browser))]
        shared = variant_ids[0]
        adds = [add(*devices[index % 2], variant_id, 1) for index, variant_id in enumerate(variant_ids[1:])]
        adds += [add(*devices[index % 2], shared, 1) for index in range(10)]
        responses = await asyncio.gather(*adds)
        assert [response.status_code for response in responses] == [201] * len(adds)
        cart = (await browser.get("/api/v1/carts/current")).json()
    lines = {line["variant_id"]: line["quantity"] for group in cart["groups"] for line in group["lines"]}
    assert len(lines) == 40 and lines[shared] == 10
    assert all(quantity == 1 for variant_id, quantity in lines.items() if variant_id != shared)


async def test_the_guest_cart_merges_into_the_customer_cart_at_sign_in(
    app: Litestar, client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    phone = await mobile_buyer(client)
    await add(client, phone["headers"], shop["box"]["id"], 2)
    async with web_client(app) as browser:
        cart_token = {"Cart-Token": (await browser.post("/api/v1/carts")).json()["token"]}
        await add(browser, cart_token, shop["box"]["id"], 4)
        await add(browser, cart_token, shop["pre"]["id"], 1)
        credentials = {"identifier": phone["identifier"], "password": PASSWORD}
        signed_in = await browser.post("/api/v1/sessions", json=credentials, headers=cart_token)
        assert signed_in.status_code == 201, signed_in.text
        assert signed_in.json()["merged_cart_lines"] == 2
        in_browser = (await browser.get("/api/v1/carts/current")).json()
        leftover = (await client.get("/api/v1/carts/current", headers=cart_token)).json()
    on_phone = (await client.get("/api/v1/carts/current", headers=phone["headers"])).json()
    assert on_phone["groups"] == in_browser["groups"] and on_phone["kind"] == "customer"
    lines = {line["variant_id"]: line["quantity"] for group in on_phone["groups"] for line in group["lines"]}
    assert lines == {shop["box"]["id"]: 5, shop["pre"]["id"]: 1}  # 2 + 4 capped at the maximum per order
    assert leftover["line_count"] == 0


async def test_carts_live_7_days_for_guests_and_30_for_customers(
    client: httpx.AsyncClient, shop: dict[str, Any], resources: Resources
) -> None:
    prefix = f"{resources.settings.redis_key_prefix}cart:"
    headers = await guest(client)
    await add(client, headers, shop["kg"]["id"], 1)
    guest_id = (await client.get("/api/v1/carts/current", headers=headers)).json()["id"]
    assert GUEST_TTL_S - 5 <= await resources.redis.ttl(prefix + guest_id) <= GUEST_TTL_S
    buyer = await mobile_buyer(client)
    await add(client, buyer["headers"], shop["kg"]["id"], 1)
    customer = (await client.get("/api/v1/carts/current", headers=buyer["headers"])).json()
    assert CUSTOMER_TTL_S - 5 <= await resources.redis.ttl(prefix + customer["id"]) <= CUSTOMER_TTL_S
    other = await mobile_buyer(client)
    assert (await client.get("/api/v1/carts/current", headers=other["headers"])).json()["line_count"] == 0


async def test_registration_takes_the_guest_cart_along_and_minimums_hold(
    client: httpx.AsyncClient, operator: str, categories: None
) -> None:
    shop = await seller_with_products(client, operator, [{"variants": variants_body(1, min_per_order=3)}])
    variant_id = shop["products"][0]["variants"][0]["id"]
    cart_token = await guest(client)
    too_few = await add(client, cart_token, variant_id, 2)
    assert too_few.status_code == 422 and too_few.json()["errors"][0]["code"] == "below_minimum"
    assert (await add(client, cart_token, variant_id, 3)).status_code == 201
    body = {"identifier": "0977000111", "name": "Lê Thị Mai", "password": PASSWORD, "client": "mobile"}
    registered = await client.post("/api/v1/accounts", json=body, headers=cart_token)
    assert registered.status_code == 201, registered.text
    assert registered.json()["session"]["merged_cart_lines"] == 1
    cart = (await client.get("/api/v1/carts/current", headers=bearer(registered.json()["session"]["token"]))).json()
    assert cart["kind"] == "customer" and cart["item_count"] == 3


def window(opens: date, harvest_from: date, harvest_to: date, capacity: int = 10) -> dict[str, Any]:
    return {"opens_on": opens.isoformat(), "harvest_from": harvest_from.isoformat(),
            "harvest_to": harvest_to.isoformat(), "capacity": capacity}  # fmt: skip


async def test_a_pre_order_whose_harvest_ended_weeks_ago_is_refused(
    client: httpx.AsyncClient, operator: str, categories: None
) -> None:
    today = clock.today()
    ended = window(today - timedelta(days=60), today - timedelta(days=40), today - timedelta(days=21))
    with clock.travel(timedelta(days=-60)):  # listed while its window was open
        listing = {"variants": variants_body(1, stock=None, preorder=ended)}
        shop = await seller_with_products(client, operator, [listing])
    variant = shop["products"][0]["variants"][0]

    response = await add(client, await guest(client), variant["id"], 1)

    assert response.status_code == 409, response.text
    assert (response.json()["code"], response.json()["harvest_to"]) == ("preorder_closed", ended["harvest_to"])
    seen = (await client.get(f"/api/v1/products/{shop['products'][0]['slug']}")).json()["variants"][0]
    assert (seen["preorder"]["status"], seen["available"]) == ("closed", 0)


async def test_pre_order_days_are_vietnamese_days(client: httpx.AsyncClient, operator: str, categories: None) -> None:
    opens, last = date(2027, 3, 2), date(2027, 3, 20)
    evening_before = datetime(2027, 3, 1, 16, 59, tzinfo=UTC)  # 23:59 on 1 March in Vietnam
    opening_morning = datetime(2027, 3, 1, 23, 8, tzinfo=UTC)  # 06:08 on 2 March in Vietnam, 1 March in UTC
    with clock.frozen_at(evening_before):
        preorder = window(opens, date(2027, 3, 10), last)
        listing = {"variants": variants_body(1, stock=None, preorder=preorder)}
        shop = await seller_with_products(client, operator, [listing])
        variant_id = shop["products"][0]["variants"][0]["id"]
        headers = await guest(client)
        too_early = await add(client, headers, variant_id, 1)
    with clock.frozen_at(opening_morning):
        opened = await add(client, headers, variant_id, 1)
    with clock.frozen_at(datetime(2027, 3, 20, 16, 59, tzinfo=UTC)):  # 23:59 on its last day in Vietnam
        last_minute = await add(client, headers, variant_id, 1)
    with clock.frozen_at(datetime(2027, 3, 20, 23, 8, tzinfo=UTC)):  # 06:08 the day after, still 20 March in UTC
        cart_service._cache.clear()
        closed = await add(client, headers, variant_id, 1)

    assert too_early.status_code == 409 and too_early.json()["code"] == "preorder_not_open"
    assert opened.status_code == 201, opened.text
    assert last_minute.status_code in (200, 201) and last_minute.json()["quantity"] == 2, last_minute.text
    assert closed.status_code == 409 and closed.json()["code"] == "preorder_closed"
