"""Checkout's rules: idempotency keys, bad input, shortages and races, against the real services."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, date, datetime

import httpx
import pytest

from market.core import clock
from market.core.outbox.tables import OutboxEvent
from market.inventory.service import levels
from market.orders.tables import Order, OrderLine, SellerOrder
from market.settings import Settings
from tests.buyers import mobile_buyer, seller_with_products, variants_body
from tests.factories import bearer
from tests.shoppers import address, checkout, checkout_body, fill_cart, guest, variant_ids


@pytest.fixture
async def shop(client: httpx.AsyncClient, operator: str, categories: None) -> dict:
    return await seller_with_products(client, operator, [{}])


async def test_same_key_replays_and_a_different_body_is_refused(client: httpx.AsyncClient, shop: dict) -> None:
    kg, _ = variant_ids(shop["products"][0])
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(kg, 2)])

    first = await checkout(client, buyer["headers"], key="checkout-1")
    again = await checkout(client, buyer["headers"], key="checkout-1")
    other = await checkout(client, buyer["headers"], checkout_body(payment_method="card"), key="checkout-1")

    assert first.status_code == 201, first.text
    assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert again.json() == first.json()
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    assert await Order.count() == 1
    assert (await levels([kg]))[kg].reserved == 2


async def test_keys_are_scoped_to_their_buyer(client: httpx.AsyncClient, shop: dict) -> None:
    kg, _ = variant_ids(shop["products"][0])
    first, second = await mobile_buyer(client), await mobile_buyer(client)
    await fill_cart(client, first["headers"], [(kg, 1)])
    await fill_cart(client, second["headers"], [(kg, 1)])

    responses = [await checkout(client, buyer["headers"], key="same-key") for buyer in (first, second)]

    assert [response.status_code for response in responses] == [201, 201]
    assert responses[0].json()["id"] != responses[1].json()["id"]


@pytest.mark.parametrize(("key", "code"), [(None, "idempotency_key_missing"), ("k" * 256, "idempotency_key_invalid")])
async def test_missing_or_oversized_key(client: httpx.AsyncClient, shop: dict, key: str | None, code: str) -> None:
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(variant_ids(shop["products"][0])[0], 1)])
    headers = {**buyer["headers"], **({"Idempotency-Key": key} if key else {})}

    response = await client.post("/api/v1/checkout", json=checkout_body(), headers=headers)

    assert response.status_code == 400
    assert response.json()["code"] == code
    assert response.json()["errors"][0]["field"] == "Idempotency-Key"
    assert await Order.count() == 0


async def test_one_key_sent_many_times_at_once_makes_one_order(client: httpx.AsyncClient, shop: dict) -> None:
    kg, _ = variant_ids(shop["products"][0])
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(kg, 3)])

    responses = await asyncio.gather(*(checkout(client, buyer["headers"], key="double-tap") for _ in range(60)))

    statuses = [response.status_code for response in responses]
    assert set(statuses) <= {201, 409}, statuses
    assert {r.json()["code"] for r in responses if r.status_code == 409} <= {"idempotency_request_in_progress"}
    assert len({r.json()["id"] for r in responses if r.status_code == 201}) == 1
    assert await Order.count() == 1
    assert (await levels([kg]))[kg].reserved == 3
    replay = await checkout(client, buyer["headers"], key="double-tap")
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"


async def test_empty_cart_and_bad_address(client: httpx.AsyncClient, shop: dict) -> None:
    buyer = await mobile_buyer(client)
    empty = await checkout(client, buyer["headers"])
    assert empty.status_code == 409 and empty.json()["code"] == "cart_empty"

    await fill_cart(client, buyer["headers"], [(variant_ids(shop["products"][0])[0], 1)])
    # Phường Hoàn Kiếm is in Hà Nội, not in Hồ Chí Minh City.
    bad = await checkout(client, buyer["headers"], checkout_body(shipping_address=address(province_code=79)))
    assert bad.status_code == 422
    assert bad.json()["errors"][0]["field"] == "shipping_address.ward_code"
    unknown = await checkout(client, buyer["headers"], checkout_body(shipping_address=None, contact=None,
                                                                      shipping_address_id="adr_nope"))  # fmt: skip
    assert unknown.status_code == 404
    both = await checkout(client, buyer["headers"], checkout_body(shipping_address_id="adr_x"))
    assert both.status_code == 422 and both.json()["errors"][0]["code"] == "one_address"
    neither = await checkout(client, buyer["headers"], checkout_body(shipping_address=None))
    assert neither.status_code == 422 and neither.json()["errors"][0]["field"] == "shipping_address"
    extra = await checkout(client, buyer["headers"], {**checkout_body(), "total": 1})
    assert extra.status_code == 422
    assert await Order.count() == 0


async def test_a_guest_cannot_ship_to_an_address_book(client: httpx.AsyncClient, shop: dict) -> None:
    headers = await guest(client)
    await fill_cart(client, headers, [(variant_ids(shop["products"][0])[0], 1)])
    response = await checkout(client, headers, checkout_body(shipping_address=None, shipping_address_id="adr_x"))
    assert response.status_code == 422 and response.json()["errors"][0]["code"] == "sign_in_required"


async def test_address_book_entry_ships(client: httpx.AsyncClient, shop: dict) -> None:
    buyer = await mobile_buyer(client)
    saved = await client.post("/api/v1/me/addresses", json=address(), headers=buyer["headers"])
    assert saved.status_code == 201, saved.text
    await fill_cart(client, buyer["headers"], [(variant_ids(shop["products"][0])[0], 1)])

    body = {"payment_method": "cod", "shipping_address_id": saved.json()["id"]}
    placed = await checkout(client, buyer["headers"], body)

    assert placed.status_code == 201, placed.text
    assert placed.json()["shipping_address"]["street"] == "12 Hàng Bạc"
    assert placed.json()["phone"] == "+84912345678"


async def test_unavailable_variant(client: httpx.AsyncClient, shop: dict) -> None:
    kg, box = variant_ids(shop["products"][0])
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(kg, 1), (box, 1)])
    product_id = shop["products"][0]["id"]
    archived = await client.post(
        f"/seller/v1/products/{product_id}/variants/{box}/archive", headers=bearer(shop["key"])
    )
    assert archived.status_code == 200, archived.text

    response = await checkout(client, buyer["headers"])

    assert response.status_code == 409
    assert response.json()["code"] == "variant_unavailable" and response.json()["variants"] == [box]
    assert (await levels([kg]))[kg].reserved == 0


async def test_shortage_reserves_nothing_and_names_the_variants(client: httpx.AsyncClient, shop: dict) -> None:
    kg, box = variant_ids(shop["products"][0])  # 40 kg, 8 boxes
    early, late = await mobile_buyer(client), await mobile_buyer(client)
    await fill_cart(client, early["headers"], [(box, 5)])
    await fill_cart(client, late["headers"], [(kg, 4), (box, 5)])
    assert (await checkout(client, early["headers"])).status_code == 201

    response = await checkout(client, late["headers"], key="late-1")

    assert response.status_code == 409
    problem = response.json()
    assert problem["code"] == "out_of_stock"
    assert problem["variants"] == [{"variant_id": box, "requested": 5, "available": 3}]
    stock = await levels([kg, box])
    assert (stock[kg].reserved, stock[box].reserved) == (0, 5)
    assert await Order.count() == 1
    # The key was released: the buyer lowers the quantity and retries with the same key.
    await client.patch(f"/api/v1/carts/current/lines/{box}", json={"quantity": 3}, headers=late["headers"])
    retried = await checkout(client, late["headers"], key="late-1")
    assert retried.status_code == 201, retried.text
    stock = await levels([kg, box])
    assert (stock[kg].reserved, stock[box].reserved, stock[box].available) == (4, 8, 0)


async def test_racing_checkouts_never_oversell(client: httpx.AsyncClient, operator: str, categories: None) -> None:
    shop = await seller_with_products(client, operator, [{"variants": variants_body(1, stock=10)}])
    (variant,) = variant_ids(shop["products"][0])
    guests = [await guest(client) for _ in range(60)]
    for headers in guests:
        await fill_cart(client, headers, [(variant, 1)])

    responses = await asyncio.gather(*(checkout(client, headers) for headers in guests))

    statuses = [response.status_code for response in responses]
    assert statuses.count(201) == 10
    assert statuses.count(409) == 50
    assert {r.json()["code"] for r in responses if r.status_code == 409} == {"out_of_stock"}
    level = (await levels([variant]))[variant]
    assert (level.reserved, level.on_hand, level.available) == (10, 10, 0)


async def test_racing_carts_of_shared_variants_in_random_order(
    client: httpx.AsyncClient, operator: str, categories: None
) -> None:
    shop = await seller_with_products(client, operator, [{"variants": variants_body(3, stock=12)}])
    variants = variant_ids(shop["products"][0])
    rng = random.Random(5)
    guests = []
    for _ in range(40):
        headers = await guest(client)
        lines = rng.sample(variants, rng.choice([2, 3]))
        await fill_cart(client, headers, [(variant, rng.choice([1, 2])) for variant in lines])
        guests.append(headers)

    responses = await asyncio.gather(*(checkout(client, headers) for headers in guests))

    assert all(response.status_code in (201, 409) for response in responses), [r.text for r in responses]
    stock = await levels(variants)
    ordered_lines = await OrderLine.select(OrderLine.variant_id, OrderLine.quantity).run()
    for variant in variants:
        ordered = sum(line["quantity"] for line in ordered_lines if line["variant_id"] == variant)
        assert stock[variant].reserved == ordered <= 12
    placed = [r.json()["id"] for r in responses if r.status_code == 201]
    assert len(placed) == await Order.count() == await SellerOrder.count() > 0
    assert await OutboxEvent.count().where(OutboxEvent.type == "order.created") == len(placed)


async def test_guest_checkouts_are_limited_per_address(client: httpx.AsyncClient, settings: Settings) -> None:
    headers = await guest(client)
    statuses = [(await checkout(client, headers)).status_code for _ in range(settings.guest_checkouts_per_address + 1)]

    assert set(statuses[:-1]) == {409}  # each counted, each an empty cart
    assert statuses[-1] == 429
    buyer = await mobile_buyer(client)  # signed-in buyers are not limited by address
    assert (await checkout(client, buyer["headers"])).json()["code"] == "cart_empty"


async def test_a_pre_order_in_a_cart_is_refused_once_its_last_day_has_passed_in_vietnam(
    client: httpx.AsyncClient, operator: str, categories: None
) -> None:
    last_day = date(2027, 3, 20)
    preorder = {"opens_on": "2027-03-01", "harvest_from": "2027-03-10", "harvest_to": last_day.isoformat(),
                "capacity": 10}  # fmt: skip
    with clock.frozen_at(datetime(2027, 3, 20, 10, 0, tzinfo=UTC)):
        listing = {"variants": variants_body(1, stock=None, preorder=preorder)}
        shop = await seller_with_products(client, operator, [listing])
        (variant,) = variant_ids(shop["products"][0])
        buyer = await mobile_buyer(client)
        await fill_cart(client, buyer["headers"], [(variant, 2)])
    with clock.frozen_at(datetime(2027, 3, 20, 23, 8, tzinfo=UTC)):  # 06:08 on 21 March in Vietnam
        late = await checkout(client, buyer["headers"])

    assert late.status_code == 409, late.text
    assert (late.json()["code"], late.json()["variants"]) == ("preorder_closed", [variant])
    assert await Order.count() == 0
    assert (await levels([variant]))[variant].preorder_reserved == 0
