"""The bank feed's faults: repeats shuffled and concurrent, the expiry job racing credits, a feed down for an hour
whose retries (or the reconciliation's pull of its list) arrive late, and the statements a checkout costs."""

from __future__ import annotations

import asyncio
import random
from typing import Any

import httpx
import pytest

from market.core.db import fetch
from market.inventory.service import levels
from market.orders.service import release_expired
from market.settings import Settings
from tests.banking import bank_order, events, outcomes, post_credit, sepay
from tests.buyers import mobile_buyer, seller_with_products
from tests.shoppers import checkout, checkout_body, fill_cart, variant_ids
from tests.wire import count_statements


@pytest.fixture
async def shop(client: httpx.AsyncClient, operator: str, categories: None) -> dict[str, Any]:
    return await seller_with_products(client, operator, [{}])


async def test_the_same_credits_ten_times_shuffled_and_concurrent_pay_each_order_once(
    client: httpx.AsyncClient, shop: dict[str, Any], settings: Settings
) -> None:
    placed = [await bank_order(client, shop) for _ in range(6)]
    credits = [sepay(p["order"]["total"], f"thanh toan {p['transfer']['reference']}") for p in placed]
    credits.append(sepay(50_000, "khong co ma"))  # one that matches nothing
    deliveries = [credit for credit in credits for _ in range(10)]
    random.shuffle(deliveries)

    answers = await asyncio.gather(*(post_credit(client, settings, body) for body in deliveries))

    assert {answer.status_code for answer in answers} == {200}
    assert sorted(await outcomes()) == ["matched"] * 6 + ["unmatched"]
    paid = [event["order_id"] for event in await events("order.paid")]
    assert sorted(paid) == sorted(p["order"]["id"] for p in placed)  # each order paid exactly once
    assert len(await events("bank_credit.received")) == 7
    rows = await fetch("SELECT amount_received, status FROM payment ORDER BY id")
    assert [(row["amount_received"], row["status"]) for row in rows] == [
        (p["order"]["total"], "succeeded") for p in placed
    ]


async def test_two_halves_at_once_pay_the_order_once(
    client: httpx.AsyncClient, shop: dict[str, Any], settings: Settings
) -> None:
    placed = await bank_order(client, shop)
    total, reference = placed["order"]["total"], placed["transfer"]["reference"]
    halves = [sepay(total // 2, reference), sepay(total - total // 2, reference)]

    await asyncio.gather(*(post_credit(client, settings, body) for body in halves * 3))

    assert sorted(await outcomes()) == ["matched", "short"]
    assert len(await events("order.paid")) == 1


async def test_credits_racing_the_expiry_job_either_pay_or_are_flagged_never_both(
    client: httpx.AsyncClient, operator: str, categories: None, settings: Settings
) -> None:
    shop = await seller_with_products(client, operator, [{}])
    placed = [await bank_order(client, shop, quantity=1) for _ in range(8)]
    ids = [p["order"]["id"] for p in placed]
    await fetch("UPDATE orders SET reserved_until = now() - interval '1 second' WHERE id = ANY($1::varchar[])", ids)
    credits = [post_credit(client, settings, sepay(p["order"]["total"], p["transfer"]["reference"])) for p in placed]

    answers, _ = await asyncio.gather(asyncio.gather(*credits), release_expired())

    assert {answer.status_code for answer in answers} == {200}
    assert await release_expired() == 0
    found = await outcomes()
    assert set(found) <= {"late_reserved", "matched"} and len(found) == 8  # stock was there: all paid
    assert sorted(event["order_id"] for event in await events("order.paid")) == sorted(ids)
    statuses = await fetch("SELECT payment_status FROM orders WHERE id = ANY($1::varchar[])", ids)
    assert {row["payment_status"] for row in statuses} == {"paid"}
    variant = placed[0]["variant"]
    assert (await levels([variant]))[variant].reserved == 8  # each order holds its unit once
    sellers = await fetch("SELECT status FROM seller_order WHERE order_id = ANY($1::varchar[])", ids)
    assert {row["status"] for row in sellers} == {"confirmed"}


async def test_the_expiry_job_flags_short_transfers(
    client: httpx.AsyncClient, shop: dict[str, Any], settings: Settings, worker: Any
) -> None:
    placed = await bank_order(client, shop)
    await post_credit(client, settings, sepay(10_000, placed["transfer"]["reference"]))
    await fetch("UPDATE orders SET reserved_until = now() - interval '1 second' WHERE id = $1", placed["order"]["id"])

    assert await release_expired() == 1
    await worker()

    (flagged,) = await events("bank_credit.refund_flagged")
    assert flagged["amount"] == 10_000 and "expired" in flagged["reason"]


async def test_a_feed_down_for_an_hour_matches_when_its_retries_arrive(
    client: httpx.AsyncClient, shop: dict[str, Any], settings: Settings
) -> None:
    """The buyer paid at once; the feed's webhook only comes an hour later, after the reservation (30 minutes)
    expired: the stock is still there, so the order is paid (late_reserved), once, whatever the retries."""
    placed = await bank_order(client, shop, quantity=2)
    body = sepay(placed["order"]["total"], placed["transfer"]["reference"])
    await fetch("UPDATE orders SET reserved_until = now() - interval '30 minutes' WHERE id = $1", placed["order"]["id"])
    assert await release_expired() == 1

    retries = [await post_credit(client, settings, body) for _ in range(7)]  # SePay's seven retries

    assert {answer.status_code for answer in retries} == {200}
    assert await outcomes() == ["late_reserved"]
    assert len(await events("order.paid")) == 1


async def test_a_bank_transfer_checkout_sends_two_statements(
    client: httpx.AsyncClient, shop: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(variant_ids(shop["products"][0])[0], 1)])
    sent = count_statements(monkeypatch)

    response = await checkout(client, buyer["headers"], checkout_body(payment_method="bank_transfer"))

    assert response.status_code == 201, response.text
    assert sent == ["SELECT", "WITH"]  # the reference is the order id's, the payment row drafted with the order
