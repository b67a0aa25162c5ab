"""Which sellers an event's webhooks reach (an order of several sellers, a seller order), the handler in the
worker, the whole path through the worker, and a hanging endpoint beside healthy ones."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

import httpx

from market.core.db import fetch, transaction
from market.core.events import Event
from market.webhooks import service
from market.webhooks.dispatcher import Dispatcher
from tests.buyers import mobile_buyer, seller_with_products
from tests.factories import bearer
from tests.fakes.webhook_sink import WebhookSink
from tests.shoppers import checkout, fill_cart, variant_ids
from tests.webhooks import documented_verifier, emit, register, rejected


async def test_order_events_reach_each_seller_with_only_its_part(
    client: httpx.AsyncClient, operator: str, categories: None, sink: WebhookSink, dispatch: Callable[..., Dispatcher]
) -> None:
    first = await seller_with_products(client, operator, [{}])
    second = await seller_with_products(client, operator, [{}])
    bystander = await seller_with_products(client, operator, [{}])
    boxes = [sink.box() for _ in range(4)]
    await register(client, first["session"], boxes[0])
    await register(client, second["session"], boxes[1], ["order.paid"])
    await register(client, bystander["session"], boxes[2])
    await register(client, first["session"], boxes[3], ["seller_order.packed"])
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(variant_ids(first["products"][0])[0], 1),
                                               (variant_ids(second["products"][0])[0], 1)])  # fmt: skip
    placed = await checkout(client, buyer["headers"])
    assert placed.status_code == 201, placed.text
    order = placed.json()
    [created] = await fetch("SELECT event_id, payload::text AS payload FROM outbox_event WHERE type = 'order.created'")
    async with transaction():
        await service.fan_out(Event(created["event_id"], "order.created", json.loads(created["payload"])))
    await emit("order.paid", {"order_id": order["id"], "amount": order["total"]})
    await dispatch().run_due()

    mine = {so["seller_id"]: so["id"] for so in order["seller_orders"]}
    got_first = [json.loads(item["body"]) for item in await sink.received(boxes[0])]
    assert [body["type"] for body in got_first] == ["order.created", "order.paid"]
    assert got_first[0]["data"] == {"order_id": order["id"], "payment_method": "cod",
                                    "seller_id": first["seller"]["id"],
                                    "seller_order_ids": [mine[first["seller"]["id"]]]}  # fmt: skip
    assert "amount" not in got_first[1]["data"]
    assert got_first[1]["data"]["seller_order_ids"] == [mine[first["seller"]["id"]]]
    got_second = [json.loads(item["body"]) for item in await sink.received(boxes[1])]
    assert [body["type"] for body in got_second] == ["order.paid"]
    assert got_second[0]["data"]["seller_order_ids"] == [mine[second["seller"]["id"]]]
    assert await sink.received(boxes[2]) == [] and await sink.received(boxes[3]) == []
    async with transaction():  # the handler again (a redelivered event): nothing new
        assert await service.fan_out(Event(created["event_id"], "order.created", json.loads(created["payload"]))) == 0


async def test_seller_order_events_find_their_seller(
    client: httpx.AsyncClient, operator: str, categories: None, sink: WebhookSink, dispatch: Callable[..., Dispatcher]
) -> None:
    shop = await seller_with_products(client, operator, [{}])
    box = sink.box()
    await register(client, shop["session"], box, ["seller_order.packing"])
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(variant_ids(shop["products"][0])[1], 1)])
    order = (await checkout(client, buyer["headers"])).json()
    seller_order = order["seller_orders"][0]["id"]
    started = await client.post(f"/seller/v1/orders/{seller_order}/start-packing", headers=bearer(shop["key"]))
    assert started.status_code == 200, started.text
    [packing] = await fetch("SELECT event_id, payload::text AS p FROM outbox_event WHERE type = 'seller_order.packing'")
    async with transaction():
        await service.fan_out(Event(packing["event_id"], "seller_order.packing", json.loads(packing["p"])))
    await dispatch().run_due()
    [got] = await sink.received(box)
    assert json.loads(got["body"])["data"] == {"seller_order_id": seller_order, "order_id": order["id"],
                                               "seller_id": shop["seller"]["id"]}  # fmt: skip


def test_every_subscribable_event_has_the_handler() -> None:
    from market.webhooks.events import EVENT_TYPES
    from market.worker import load_handlers

    handlers = load_handlers()
    for event_type in EVENT_TYPES:
        assert "webhooks.fan_out" in [handler.name for handler in handlers.handlers_for(event_type)], event_type


async def test_a_hanging_endpoint_does_not_delay_other_sellers(
    client: httpx.AsyncClient, operator: str, categories: None, sink: WebhookSink, dispatch: Callable[..., Dispatcher]
) -> None:
    from market.webhooks.dispatcher import WebhookLoop
    from tests.factories import registered_seller

    sellers = [await registered_seller(client, approve_with=operator) for _ in range(4)]
    boxes = [sink.box() for _ in sellers]
    for shop, box in zip(sellers, boxes, strict=True):
        await register(client, shop["session"], box)
    await sink.behave(boxes[0], hang=True)
    timeout_s = 8.0
    loop = WebhookLoop(dispatch(timeout_s=timeout_s, per_endpoint=2), idle_s=0.02)
    running = asyncio.create_task(loop.run())
    try:
        started = time.monotonic()
        for _ in range(5):
            for shop in sellers:
                await emit(*rejected(shop))
        arrived: dict[int, float] = {}
        while len(arrived) < 3 and time.monotonic() - started < timeout_s:
            for index, box in enumerate(boxes[1:], start=1):
                if index not in arrived and len(await sink.received(box)) == 5:
                    arrived[index] = time.monotonic() - started
            await asyncio.sleep(0.02)
        hung = await fetch("SELECT count(*) AS n FROM webhook_attempt a JOIN webhook_delivery d ON d.id = a.delivery "
                           "JOIN webhook_endpoint e ON e.id = d.endpoint WHERE e.url = $1", boxes[0])  # fmt: skip
    finally:
        loop.stop()
        await running
    # Everything for the others arrived well before the hanging endpoint's first attempts gave up (a shared 2-core
    # machine under load takes a second or two for these 20 events; a shared lane would take 8 s or more).
    assert len(arrived) == 3 and max(arrived.values()) < timeout_s / 2, arrived
    assert hung[0]["n"] == 0  # its first two attempts were still waiting out the timeout
    assert len(await sink.received(boxes[0])) == 2  # per_endpoint: two at a time reached it, the rest waited


async def test_the_worker_delivers_a_take_down_to_the_seller(
    client: httpx.AsyncClient, operator: str, categories: None, sink: WebhookSink, worker: Callable[..., Any]
) -> None:
    """The whole path: an operator's action, the outbox, the worker's handler and its sender loop, the receiver."""
    shop = await seller_with_products(client, operator, [{}])
    box = sink.box()
    endpoint = await register(client, shop["session"], box, ["product.taken_down"])
    product = shop["products"][0]["id"]
    taken = await client.post(f"/admin/v1/products/{product}/take-down", json={"reason": "Ảnh không đúng sản phẩm"},
                              headers=bearer(operator))  # fmt: skip
    assert taken.status_code == 200, taken.text
    await worker()
    for _ in range(100):
        received = await sink.received(box)
        if received:
            break
        await asyncio.sleep(0.05)
    [got] = received
    body = json.loads(got["body"])
    assert body["type"] == "product.taken_down"
    assert body["data"] == {"product_id": product, "seller_id": shop["seller"]["id"]}
    assert documented_verifier()(got["body"].encode(), got["headers"]["market-signature"], endpoint["secret"])
