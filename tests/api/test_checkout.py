"""Checkout over HTTP against the real PostgreSQL and Redis: one order, one seller order per seller, exact stock."""

from __future__ import annotations

import httpx

from market.core.outbox.tables import OutboxEvent
from market.inventory.service import levels
from tests.buyers import mobile_buyer, seller_with_products
from tests.shoppers import HANOI, HCMC, VUNG_TAU, address, checkout, checkout_body, fill_cart, guest, variant_ids


async def test_cod_checkout_of_two_sellers(client: httpx.AsyncClient, operator: str, categories: None) -> None:
    first = await seller_with_products(client, operator, [{}])
    second = await seller_with_products(client, operator, [{}])
    kg, box = variant_ids(first["products"][0])
    other_kg, _ = variant_ids(second["products"][0])
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(kg, 2), (box, 1), (other_kg, 3)])

    response = await checkout(client, buyer["headers"], checkout_body(
        shipping_address=address(ward_code=VUNG_TAU, province_code=HCMC)))  # fmt: skip

    assert response.status_code == 201, response.text
    order = response.json()
    assert response.headers["location"] == f"/api/v1/orders/{order['id']}"
    assert order["object"] == "order" and order["id"].startswith("ord_")
    assert order["status"] == "open" and order["payment"]["method"] == "cod"
    assert order["access_token"] is None  # a customer reads orders with the session
    assert order["payment"]["next_action"] == "cash_on_delivery"
    by_seller = {so["seller_id"]: so for so in order["seller_orders"]}
    mine = by_seller[first["seller"]["id"]]
    assert mine["status"] == "confirmed"
    assert [(line["variant_id"], line["quantity"]) for line in mine["lines"]] == [(kg, 2), (box, 1)]
    assert mine["subtotal"] == 2 * 65_000 + 300_000
    # Tây Ninh to Hồ Chí Minh City is within the south: 25,000 đ for the first kg, 4,000 đ per further 500 g.
    assert mine["weight_g"] == 2 * 1050 + 5400
    assert mine["shipping_zone"] == "region"
    assert mine["shipping_fee"] == 25_000 + 4_000 * 13
    assert mine["cod_amount"] == mine["total"] == mine["subtotal"] + mine["shipping_fee"]
    assert mine["history"][0]["to_status"] == "confirmed"
    assert order["total"] == sum(so["total"] for so in order["seller_orders"])
    assert order["shipping_address"]["province"]["code"] == HCMC

    stock = await levels([kg, box, other_kg])
    assert (stock[kg].reserved, stock[box].reserved, stock[other_kg].reserved) == (2, 1, 3)
    assert (stock[kg].on_hand, stock[box].on_hand) == (40, 8)
    cart = await client.get("/api/v1/carts/current", headers=buyer["headers"])
    assert cart.json()["line_count"] == 0
    created = await OutboxEvent.select(OutboxEvent.payload).where(OutboxEvent.type == "order.created").output(
        load_json=True).run()  # fmt: skip
    assert [event["payload"]["order_id"] for event in created] == [order["id"]]

    read = await client.get(f"/api/v1/orders/{order['id']}", headers=buyer["headers"])
    assert read.status_code == 200
    assert read.json()["seller_orders"] == order["seller_orders"]
    assert same_but_the_next_step(order, read.json())  # the checkout's answer is derived as every read is


def same_but_the_next_step(answer: dict, read: dict) -> bool:
    """The checkout's answer reads as the order does later, but for what the client does next to pay."""
    assert answer["payment"]["status"] == read["payment"]["status"]
    assert answer["payment"]["amount"] == read["payment"]["amount"] == answer["total"]
    payment = {**answer["payment"], "next_action": None, "client_secret": None, "publishable_key": None}
    return {**answer, "payment": payment, "access_token": None} == {**read, "access_token": None}


async def test_guest_checkout_needs_contact(client: httpx.AsyncClient, operator: str, categories: None) -> None:
    shop = await seller_with_products(client, operator, [{}])
    kg, _ = variant_ids(shop["products"][0])
    headers = await guest(client)
    await fill_cart(client, headers, [(kg, 1)])

    missing = await checkout(client, headers, checkout_body(contact=None))
    assert missing.status_code == 422
    assert missing.json()["errors"][0]["field"] == "contact.email"

    placed = await checkout(client, headers)
    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["email"] == "hoa@example.vn"
    assert order["shipping_address"]["province"]["code"] == HANOI

    # The guest reads the order later with the access token its checkout returned, and with nothing else.
    path = f"/api/v1/guest-orders/{order['id']}"
    read = await client.get(path, headers={"Order-Token": order["access_token"]})
    assert read.status_code == 200 and read.json()["seller_orders"] == order["seller_orders"]
    assert same_but_the_next_step(order, read.json())
    forged = order["access_token"][:-4] + "AAAA"
    for headers_ in ({}, {"Order-Token": forged}, {"Order-Token": "ord_x.y"}):
        assert (await client.get(path, headers=headers_)).status_code == 404
    tracking = await client.get(f"{path}/tracking", headers={"Order-Token": order["access_token"]})
    assert tracking.status_code == 200
    assert tracking.json() == {"object": "list", "data": [], "has_more": False, "next_cursor": None}
