"""A crash at any step of checkout leaves either the whole order with its reservations or nothing at all, and a
retry with the same Idempotency-Key finishes the job exactly once."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx
import pytest

from market.core.outbox.tables import OutboxEvent
from market.inventory.service import levels
from market.orders import reads
from market.orders.tables import Order, OrderLine
from tests.buyers import mobile_buyer, seller_with_products
from tests.shoppers import checkout, checkout_body, fill_cart, variant_ids


@pytest.fixture
async def cart(client: httpx.AsyncClient, operator: str, categories: None) -> dict[str, Any]:
    shop = await seller_with_products(client, operator, [{}])
    kg, box = variant_ids(shop["products"][0])
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(kg, 2), (box, 1)])
    return {"buyer": buyer, "variants": [kg, box]}


async def test_connection_lost_while_placing_leaves_nothing(
    client: httpx.AsyncClient, cart: dict[str, Any], resources: Any
) -> None:
    """The checkout's statement waits on a stock row another transaction holds; its connection dies right there."""
    holder = await asyncpg.connect(resources.settings.database_url)
    events_before = await OutboxEvent.count()
    try:
        blocker = holder.transaction()
        await blocker.start()
        await holder.execute("SELECT 1 FROM stock_level WHERE variant_id = $1 FOR UPDATE", cart["variants"][0])
        pending = asyncio.create_task(checkout(client, cart["buyer"]["headers"], key="crash-1"))
        for _ in range(200):
            killed = await holder.fetchval(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE pg_backend_pid() = ANY(pg_blocking_pids(pid))"
            )
            if killed:
                break
            await asyncio.sleep(0.01)
        assert killed, "the checkout never waited on the held stock row"
        crashed = await pending
        await blocker.rollback()
    finally:
        await holder.close()

    assert crashed.status_code == 503, crashed.text
    assert await Order.count() == 0 and await OrderLine.count() == 0
    assert await OutboxEvent.count() == events_before
    stock = await levels(cart["variants"])
    assert [stock[variant].reserved for variant in cart["variants"]] == [0, 0]

    retried = await checkout(client, cart["buyer"]["headers"], key="crash-1")
    assert retried.status_code == 201, retried.text
    stock = await levels(cart["variants"])
    assert [stock[variant].reserved for variant in cart["variants"]] == [2, 1]


async def test_crash_after_commit_is_resumed_by_the_retry(
    client: httpx.AsyncClient, cart: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    get_order = reads.get_order

    async def lost(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionResetError("the connection dropped after the commit")

    monkeypatch.setattr(reads, "get_order", lost)
    body = checkout_body(payment_method="card")

    crashed = await checkout(client, cart["buyer"]["headers"], body, key="crash-2")

    assert crashed.status_code == 503
    assert await Order.count() == 1  # committed whole: order, lines and reservations
    stock = await levels(cart["variants"])
    assert [stock[variant].reserved for variant in cart["variants"]] == [2, 1]

    monkeypatch.setattr(reads, "get_order", get_order)
    resumed = await checkout(client, cart["buyer"]["headers"], body, key="crash-2")
    replayed = await checkout(client, cart["buyer"]["headers"], body, key="crash-2")

    assert resumed.status_code == 201, resumed.text
    assert resumed.json()["payment"]["next_action"] == "requires_payment"
    assert replayed.json() == resumed.json() and replayed.headers["idempotent-replayed"] == "true"
    assert await Order.count() == 1
    stock = await levels(cart["variants"])
    assert [stock[variant].reserved for variant in cart["variants"]] == [2, 1]
