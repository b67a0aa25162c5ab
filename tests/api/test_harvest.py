"""Pre-orders and their harvest: capacity, packing after the harvest, and a short harvest filled first come,
first served, through the API with the fake Stripe and the carrier simulator."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any

import httpx
import pytest

from market.core import clock
from market.core.db import fetch
from market.inventory.service import levels
from market.settings import Settings
from market.shipping.jobs import handoff_once
from market.shipping.registry import carrier_for
from tests.buyers import mobile_buyer, seller_with_products
from tests.factories import bearer
from tests.fakes.carrier import CarrierSim
from tests.fakes.stripe import FakeStripe, signed
from tests.shoppers import checkout, checkout_body, fill_cart

Drain = Callable[[], Awaitable[None]]
HARVEST_IN = timedelta(days=9)


@pytest.fixture
async def shop(client: httpx.AsyncClient, operator: str, categories: None) -> dict[str, Any]:
    """A seller with a pre-order of mãng cầu (12 kg, harvest in 9 days) and a box sold from stock."""
    today = clock.today()
    preorder = {"sku": "MC-VU-TET", "unit": "kg", "unit_size": "1 kg", "price": 80_000, "weight_g": 1000,
                "preorder": {"opens_on": today.isoformat(), "harvest_from": (today + HARVEST_IN).isoformat(),
                             "harvest_to": (today + timedelta(days=20)).isoformat(), "capacity": 12}}  # fmt: skip
    box = {"sku": "MC-THUNG", "unit": "thùng", "unit_size": "thùng 5 kg", "price": 300_000, "weight_g": 5400,
           "stock": 8}  # fmt: skip
    created = await seller_with_products(client, operator, [{"name": "Mãng cầu Bà Đen vụ Tết",
                                                             "variants": [preorder, box]}])  # fmt: skip
    product = created["products"][0]
    pre, stocked = product["variants"]
    return {**created, "product": product, "pre": pre["id"], "box": stocked["id"], "key": bearer(created["key"]),
            "harvest_from": (today + HARVEST_IN).isoformat()}  # fmt: skip


def variant_url(shop: dict[str, Any], variant_id: str | None = None) -> str:
    return f"/seller/v1/products/{shop['product']['id']}/variants/{variant_id or shop['pre']}"


async def harvest(client: httpx.AsyncClient, shop: dict[str, Any], quantity: int) -> httpx.Response:
    return await client.post(f"{variant_url(shop)}/harvest", json={"harvested_quantity": quantity},
                             headers=shop["key"])  # fmt: skip


async def order(client: httpx.AsyncClient, items: list[tuple[str, int]], method: str = "cod") -> dict[str, Any]:
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], items)
    placed = await checkout(client, buyer["headers"], checkout_body(payment_method=method))
    assert placed.status_code == 201, placed.text
    return {"buyer": buyer, "order": placed.json(), "sor": placed.json()["seller_orders"][0]["id"]}


async def pay(client: httpx.AsyncClient, settings: Settings, stripe_fake: FakeStripe, placed: dict[str, Any]) -> None:
    rows = await fetch("SELECT provider_ref FROM payment WHERE order_id = $1", placed["order"]["id"])
    for event in stripe_fake.succeed(rows[0]["provider_ref"]):
        await stripe_webhook(client, settings, event)


async def stripe_webhook(client: httpx.AsyncClient, settings: Settings, event: dict[str, Any]) -> None:
    payload = json.dumps(event).encode()
    signature = signed(payload, settings.stripe_webhook_secret or "")
    answer = await client.post("/webhooks/stripe", content=payload,
                               headers={"Stripe-Signature": signature, "Content-Type": "application/json"})  # fmt: skip
    assert answer.status_code == 200, answer.text


async def pack(client: httpx.AsyncClient, shop: dict[str, Any], seller_order_id: str) -> httpx.Response:
    await client.post(f"/seller/v1/orders/{seller_order_id}/start-packing", headers=shop["key"])
    return await client.post(f"/seller/v1/orders/{seller_order_id}/pack", json={"lines": []}, headers=shop["key"])


async def test_packing_a_pre_order_waits_for_its_harvest(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    placed = await order(client, [(shop["pre"], 2)])

    nine_days_early = await pack(client, shop, placed["sor"])
    early_harvest = await harvest(client, shop, 12)
    with clock.travel(HARVEST_IN):
        undeclared = await pack(client, shop, placed["sor"])
        declared = await harvest(client, shop, 12)
        packed = await pack(client, shop, placed["sor"])

    assert nine_days_early.status_code == 409, nine_days_early.text
    assert nine_days_early.json()["code"] == "harvest_not_started"
    assert nine_days_early.json()["harvest_from"] == shop["harvest_from"]
    assert early_harvest.status_code == 409 and early_harvest.json()["code"] == "harvest_not_started"
    assert undeclared.status_code == 409 and undeclared.json()["code"] == "harvest_not_declared"
    assert declared.status_code == 200, declared.text
    assert packed.status_code == 200 and packed.json()["status"] == "packed", packed.text


async def test_a_seller_changes_the_capacity_but_never_below_what_is_reserved(
    client: httpx.AsyncClient, shop: dict[str, Any]
) -> None:
    await order(client, [(shop["pre"], 4)])

    below = await client.patch(variant_url(shop), json={"preorder_capacity": 3}, headers=shop["key"])
    raised = await client.patch(variant_url(shop), json={"preorder_capacity": 6}, headers=shop["key"])
    stock = await client.patch(variant_url(shop), json={"stock": 6}, headers=shop["key"])
    not_preorder = await client.patch(variant_url(shop, shop["box"]), json={"preorder_capacity": 6},
                                      headers=shop["key"])  # fmt: skip

    assert below.status_code == 409, below.text
    assert below.json() == {**below.json(), "code": "below_reserved", "field": "preorder_capacity", "reserved": 4}
    assert raised.status_code == 200, raised.text
    assert raised.json()["variants"][0]["preorder"] == {**raised.json()["variants"][0]["preorder"], "capacity": 6,
                                                        "remaining": 2, "status": "open"}  # fmt: skip
    assert stock.status_code == 409 and stock.json()["code"] == "preorder_variant"
    assert "preorder_capacity" in stock.json()["detail"]
    assert not_preorder.status_code == 409 and not_preorder.json()["code"] == "not_preorder"
    assert not_preorder.json()["field"] == "preorder_capacity"
    level = (await levels([shop["pre"]]))[shop["pre"]]
    assert (level.preorder_capacity, level.preorder_reserved) == (6, 4)


async def test_a_short_harvest_fills_the_first_orders_and_cancels_and_refunds_the_rest(
    client: httpx.AsyncClient,
    shop: dict[str, Any],
    operator: str,
    settings: Settings,
    stripe_fake: FakeStripe,
    carrier_sim: CarrierSim,
    worker: Drain,
) -> None:
    first = await order(client, [(shop["pre"], 3)], "card")
    second = await order(client, [(shop["pre"], 4), (shop["box"], 1)])
    third = await order(client, [(shop["pre"], 3)], "card")  # does not fit in what is left
    fourth = await order(client, [(shop["pre"], 1)])  # later, but small enough for what is left
    for placed in (first, third):
        await pay(client, settings, stripe_fake, placed)
    await worker()

    with clock.travel(HARVEST_IN):
        declared = await harvest(client, shop, 9)
        again = await harvest(client, shop, 9)
        changed = await harvest(client, shop, 5)
        await worker()  # the cancellation refunds the card at Stripe
        for event in [e for e in stripe_fake.events if e["type"] == "charge.refunded"]:
            await stripe_webhook(client, settings, event)
        await worker()
        packed = [await pack(client, shop, placed["sor"]) for placed in (first, second, fourth)]
        refused = await pack(client, shop, third["sor"])
        await worker()  # the packed seller orders open their parcels

    assert declared.status_code == 200, declared.text
    result = declared.json()
    assert result == {**result, "object": "harvest", "variant_id": shop["pre"], "harvested_quantity": 9,
                      "capacity": 12, "filled_quantity": 8, "surplus": 1}  # fmt: skip
    assert result["id"].startswith("hvs_")
    assert result["filled_seller_orders"] == [first["sor"], second["sor"], fourth["sor"]]
    assert result["cancelled_seller_orders"] == [third["sor"]]
    assert again.status_code == 200 and again.json() == result  # declared twice: nothing cancelled twice
    assert changed.status_code == 409 and changed.json()["code"] == "already_harvested"
    assert all(response.status_code == 200 and response.json()["status"] == "packed" for response in packed)
    assert refused.status_code == 409 and refused.json()["code"] == "illegal_transition"

    # The buyer of the third order reads why, and got the card payment back once.
    read = (await client.get(f"/api/v1/orders/{third['order']['id']}", headers=third["buyer"]["headers"])).json()
    assert read["status"] == "cancelled" and read["seller_orders"][0]["status"] == "cancelled"
    assert read["seller_orders"][0]["history"][-1]["reason"] == "harvest_short"
    assert [refund["amount"] for refund in stripe_fake.refunds.values()] == [third["order"]["total"]]
    refunds = await client.get(f"/admin/v1/orders/{third['order']['id']}/refunds", headers=bearer(operator))
    assert [(r["status"], r["amount"]) for r in refunds.json()["data"]] == [("succeeded", third["order"]["total"])]
    # The others read their order packed; the seller and the operator see the same.
    for placed in (first, second, fourth):
        mine = await client.get(f"/api/v1/orders/{placed['order']['id']}", headers=placed["buyer"]["headers"])
        assert mine.json()["seller_orders"][0]["status"] == "packed"
    cancelled = await client.get("/seller/v1/orders", params={"status": "cancelled"}, headers=shop["key"])
    assert [so["id"] for so in cancelled.json()["data"]] == [third["sor"]]
    seen = await client.get("/admin/v1/seller-orders", params={"status": "cancelled"}, headers=bearer(operator))
    assert [(so["id"], so["history"][-1]["reason"]) for so in seen.json()["data"]] == [(third["sor"], "harvest_short")]
    assert (await client.get("/admin/v1/seller-orders", params={"status": "packed"},
                             headers=bearer(operator))).json()["data"].__len__() == 3  # fmt: skip

    # The harvest landed in stock: 8 units for the filled orders, 1 on sale to anyone.
    product = (await client.get(f"/seller/v1/products/{shop['product']['id']}", headers=shop["key"])).json()
    variant = product["variants"][0]
    assert (variant["stock"], variant["available"]) == (9, 1)
    assert variant["preorder"] == {**variant["preorder"], "status": "harvested", "harvested_quantity": 9}
    public = (await client.get(f"/api/v1/products/{shop['product']['slug']}")).json()["variants"][0]
    assert (public["available"], public["preorder"]["status"]) == (1, "harvested")
    capacity = await client.patch(variant_url(shop), json={"preorder_capacity": 20}, headers=shop["key"])
    assert capacity.status_code == 409 and capacity.json()["code"] == "already_harvested"
    late = await order(client, [(shop["pre"], 1)])
    assert late["order"]["seller_orders"][0]["lines"][0]["preorder"] is False
    level = (await levels([shop["pre"]]))[shop["pre"]]
    assert (level.on_hand, level.reserved, level.preorder_capacity, level.available) == (9, 9, None, 0)

    # The carrier picks the first order up: its 3 units leave the shelf.
    assert await handoff_once(carrier_for(settings)) == 3  # type: ignore[arg-type]
    carrier_sim.advance(first["sor"])
    (picked_up,) = carrier_sim.take()
    answer = await client.post("/webhooks/carriers/vnpost", content=picked_up["body"].encode(), headers={
        "Content-Type": "application/json", "X-Transaction-Id": picked_up["transaction"],
        "X-Signature": picked_up["signature"]})  # fmt: skip
    assert answer.status_code == 200, answer.text
    level = (await levels([shop["pre"]]))[shop["pre"]]
    assert (level.on_hand, level.reserved) == (6, 6)


async def test_a_harvest_is_the_sellers_own(client: httpx.AsyncClient, shop: dict[str, Any], operator: str) -> None:
    other = await seller_with_products(client, operator, [{}])
    with clock.travel(HARVEST_IN):
        response = await client.post(f"{variant_url(shop)}/harvest", json={"harvested_quantity": 1},
                                     headers=bearer(other["key"]))  # fmt: skip
        stocked = await client.post(f"{variant_url(shop, shop['box'])}/harvest", json={"harvested_quantity": 1},
                                    headers=shop["key"])  # fmt: skip
        negative = await harvest(client, shop, -1)
    assert response.status_code == 404
    assert stocked.status_code == 409 and stocked.json()["code"] == "not_preorder"
    assert negative.status_code == 422 and negative.json()["errors"][0]["field"] == "harvested_quantity"


async def test_harvests_declared_at_once_fill_and_cancel_once(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    kept, dropped = await order(client, [(shop["pre"], 5)]), await order(client, [(shop["pre"], 5)])

    with clock.travel(HARVEST_IN):
        answers = await asyncio.gather(*(harvest(client, shop, 6) for _ in range(6)))

    assert {answer.status_code for answer in answers} == {200}, [answer.text for answer in answers]
    assert len({answer.json()["id"] for answer in answers}) == 1
    assert answers[0].json()["cancelled_seller_orders"] == [dropped["sor"]]
    moves = await fetch("SELECT seller_order FROM seller_order_transition WHERE to_status = 'cancelled'")
    assert [row["seller_order"] for row in moves] == [dropped["sor"]]
    level = (await levels([shop["pre"]]))[shop["pre"]]
    assert (level.on_hand, level.reserved, level.available) == (6, 5, 1)
    assert kept["sor"] in answers[0].json()["filled_seller_orders"]


async def test_a_window_that_already_ended_cannot_be_listed(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    today = clock.today()
    ended = {"sku": "MC-CU", "unit": "kg", "unit_size": "1 kg", "price": 80_000, "weight_g": 1000,
             "preorder": {"opens_on": (today - timedelta(days=30)).isoformat(),
                          "harvest_from": (today - timedelta(days=10)).isoformat(),
                          "harvest_to": (today - timedelta(days=1)).isoformat(), "capacity": 5}}  # fmt: skip

    response = await client.post(f"/seller/v1/products/{shop['product']['id']}/variants", json=ended,
                                 headers=shop["key"])  # fmt: skip

    assert response.status_code == 422, response.text
    assert response.json()["errors"] == [{**response.json()["errors"][0], "field": "body.preorder.harvest_to",
                                          "code": "window_ended"}]  # fmt: skip
