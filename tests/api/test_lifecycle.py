"""The order's lifecycle as its three readers see it, from checkout to completion, against the carrier simulator:
status and payment derived from the seller orders and payments, the return window, catch weight settling the
whole order."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, time, timedelta
from typing import Any

import httpx
import pytest

from market.core import clock
from market.core.db import fetch, transaction
from market.orders import lifecycle
from market.orders.jobs import complete_seller_orders
from market.orders.service import record_cod_remitted
from market.settings import Settings
from tests.buyers import seller_with_products
from tests.fakes.carrier import CarrierSim
from tests.fakes.stripe import FakeStripe
from tests.orders_flow import Drain, Placed, pack, pay, place, read, ship, views
from tests.shoppers import variant_ids


@pytest.fixture
async def shop(client: httpx.AsyncClient, operator: str, categories: None) -> dict[str, Any]:
    """A seller with 1 kg (catch weight, ±10%, 65,000 đ) and a 5 kg box (300,000 đ)."""
    return await seller_with_products(client, operator, [{}])


async def cod_order(client: httpx.AsyncClient, shop: dict[str, Any], operator: str) -> Placed:
    kg, box = variant_ids(shop["products"][0])
    return await place(client, [shop], [(kg, 2), (box, 1)], operator)


async def test_a_delivered_cod_order_reads_collected_then_remitted_then_completes(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, settings: Settings, carrier_sim: CarrierSim,
    worker: Drain,
) -> None:  # fmt: skip
    placed = await cod_order(client, shop, operator)
    assert placed.order["status"] == "open" and placed.order["payment"]["status"] == "cod_pending"
    (sor,) = placed.seller_orders
    await pack(client, placed, sor)
    await ship(client, sor["id"], settings, carrier_sim, worker)

    order, _, (seller_view,) = await views(client, placed)
    total = order["total"]
    assert order["status"] == "delivered"
    assert order["payment"] | {} == {**order["payment"], "status": "collected", "amount": total, "paid_amount": total,
                                     "refunded_amount": 0}  # fmt: skip
    assert seller_view["status"] == "delivered" and seller_view["delivered_at"]
    assert (seller_view["cod_collected"], seller_view["cod_remitted"]) == (total, None)

    async with transaction():  # the carrier's remittance batch paid this parcel's cash over
        assert await record_cod_remitted(sor["id"], total)
    order = await read(client, placed)
    assert (order["status"], order["payment"]["status"], order["payment"]["paid_amount"]) == (
        "delivered", "remitted", total)  # fmt: skip

    assert await lifecycle.complete_due(settings.return_window_days) == 0  # the window is still open
    with clock.travel(timedelta(days=settings.return_window_days + 1)):  # the worker's cron job, days later
        assert await complete_seller_orders({}) == 1
        assert await complete_seller_orders({}) == 0
    order, _, (seller_view,) = await views(client, placed)
    assert order["status"] == "completed" and order["payment"]["status"] == "remitted"
    last = seller_view["history"][-1]
    assert (last["from_status"], last["to_status"], last["actor"], last["reason"]) == (
        "delivered", "completed", "system", "return_window_ended")  # fmt: skip
    events = await fetch("SELECT payload FROM outbox_event WHERE type = 'seller_order.completed'")
    assert len(events) == 1
    facts = events[0]["payload"]
    facts = facts if isinstance(facts, dict) else __import__("json").loads(facts)
    assert facts | {} == {**facts, "seller_order_id": sor["id"], "order_id": placed.id,
                          "seller_id": shop["seller"]["id"], "total": total, "payment_method": "cod",
                          "cod_collected": total, "cod_remitted": total}  # fmt: skip


async def test_the_return_window_is_counted_in_vietnamese_days_and_waits_for_open_returns(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, settings: Settings, carrier_sim: CarrierSim,
    worker: Drain,
) -> None:  # fmt: skip
    placed = await cod_order(client, shop, operator)
    (sor,) = placed.seller_orders
    await pack(client, placed, sor)
    # Delivered at 06:30 in Vietnam tomorrow (23:30 UTC the day before): delivery day D is tomorrow's Vietnamese date.
    day = clock.today() + timedelta(days=1)
    delivered = datetime.combine(day, time(6, 30), clock.VIETNAM)
    await ship(client, sor["id"], settings, carrier_sim, worker, last_at=delivered)
    seller_view = (await views(client, placed))[2][0]
    assert seller_view["delivered_at"] == delivered.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    window = settings.return_window_days
    assert seller_view["return_window_ends_on"] == (day + timedelta(days=window)).isoformat()

    # 23:59 on D + window in Vietnam: not yet (on the UTC date, D - 1, it would have been due since 07:00)
    with clock.frozen_at(clock.end_of_day(day + timedelta(days=window)) - timedelta(minutes=1)):
        assert await lifecycle.complete_due(window) == 0
    await fetch("UPDATE seller_order SET open_returns = 1 WHERE id = $1", sor["id"])  # a return is open
    with clock.frozen_at(clock.start_of_day(day + timedelta(days=window + 1))):
        assert await lifecycle.complete_due(window) == 0
        await fetch("UPDATE seller_order SET open_returns = 0 WHERE id = $1", sor["id"])  # and closed
        assert sum(await asyncio.gather(*(lifecycle.complete_due(window) for _ in range(5)))) == 1
    assert (await read(client, placed))["status"] == "completed"
    moves = await fetch("SELECT count(*) AS n FROM seller_order_transition WHERE to_status = 'completed'")
    assert moves[0]["n"] == 1


async def test_a_parcel_sent_back_reads_returned_not_completed(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, settings: Settings, carrier_sim: CarrierSim,
    worker: Drain,
) -> None:  # fmt: skip
    placed = await cod_order(client, shop, operator)
    (sor,) = placed.seller_orders
    await pack(client, placed, sor)
    await ship(client, sor["id"], settings, carrier_sim, worker, ends="returned")

    order, _, (seller_view,) = await views(client, placed)

    assert order["status"] == "returned"
    assert seller_view["status"] == "returned" and seller_view["delivered_at"] is None
    assert (order["payment"]["status"], order["payment"]["amount"], order["payment"]["paid_amount"]) == (
        "cancelled", 0, 0)  # fmt: skip
    assert await lifecycle.complete_due(settings.return_window_days) == 0
    # no cash was collected for a parcel that came back: there is nothing to refund
    refund = await client.post(f"/admin/v1/seller-orders/{sor['id']}/refund", json={"reason": "khiếu nại"},
                               headers=placed.operator)  # fmt: skip
    assert refund.status_code == 409 and refund.json()["code"] == "nothing_to_refund"
    assert (await read(client, placed))["status"] == "returned"


async def test_a_refunded_cod_order_reads_refunded(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, settings: Settings, carrier_sim: CarrierSim,
    worker: Drain,
) -> None:  # fmt: skip
    placed = await cod_order(client, shop, operator)
    (sor,) = placed.seller_orders
    await pack(client, placed, sor)
    await ship(client, sor["id"], settings, carrier_sim, worker)
    refunded = await client.post(f"/admin/v1/seller-orders/{sor['id']}/refund", json={"reason": "Hàng dập"},
                                 headers=placed.operator)  # fmt: skip
    assert refunded.status_code == 200, refunded.text

    order = await read(client, placed)

    total = order["total"]
    assert order["status"] == "refunded"
    assert order["payment"] | {} == {**order["payment"], "status": "refunded", "amount": 0, "paid_amount": total,
                                     "refunded_amount": total}  # fmt: skip


@pytest.mark.parametrize(("percent", "method"), [(95, "cod"), (105, "cod"), (95, "card"), (105, "card")])
async def test_catch_weight_settles_the_whole_order(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, settings: Settings, stripe_fake: FakeStripe,
    worker: Drain, percent: int, method: str,
) -> None:  # fmt: skip
    kg, box = variant_ids(shop["products"][0])
    placed = await place(client, [shop], [(kg, 2), (box, 1)], operator, payment_method=method)
    ordered = placed.order["total"]
    if method == "card":
        await pay(client, placed, settings, stripe_fake, worker)
    (sor,) = placed.seller_orders

    packed = await pack(client, placed, sor, percent)
    await worker()
    order = await read(client, placed)

    (seen,) = order["seller_orders"]
    assert order["total"] == seen["total"] == packed["total"] == order["subtotal"] + order["shipping_fee"]
    assert order["subtotal"] == seen["final_subtotal"]
    assert order["payment"]["amount"] == order["total"]
    if method == "cod":
        assert seen["cod_amount"] == order["total"] != ordered
    else:  # a card's charge cannot grow: heavier is the seller's gift, lighter is refunded
        assert order["total"] == min(ordered, order["total"]) and seen["cod_amount"] == 0
        payment = order["payment"]
        assert payment["paid_amount"] == ordered
        assert payment["paid_amount"] - payment["refunded_amount"] == order["total"]
        assert payment["status"] == ("partially_refunded" if percent < 100 else "paid")


async def test_a_card_order_sent_back_is_refunded_once_and_reads_returned(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, settings: Settings, carrier_sim: CarrierSim,
    stripe_fake: FakeStripe, worker: Drain,
) -> None:  # fmt: skip
    kg, box = variant_ids(shop["products"][0])
    placed = await place(client, [shop], [(kg, 2), (box, 1)], operator, payment_method="card")
    await pay(client, placed, settings, stripe_fake, worker)
    (sor,) = placed.seller_orders
    assert (await read(client, placed))["payment"]["status"] == "paid"
    await pack(client, placed, sor)
    await ship(client, sor["id"], settings, carrier_sim, worker, ends="returned")

    again = await client.post(f"/admin/v1/seller-orders/{sor['id']}/refund", json={"reason": "khiếu nại"},
                              headers=placed.operator)  # fmt: skip
    await worker()

    assert again.status_code == 409 and again.json()["code"] == "nothing_to_refund"  # it went back on return
    assert [refund["amount"] for refund in stripe_fake.refunds.values()] == [placed.order["total"]]
    order = await read(client, placed)
    assert order["status"] == "returned"
    assert order["payment"] | {} == {
        **order["payment"],
        "status": "refunded",
        "amount": 0,
        "paid_amount": placed.order["total"],
        "refunded_amount": placed.order["total"],
    }
