"""Card payments through the real `stripe` library against the fake Stripe server, and its signed webhooks."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from market.core.db import fetch
from market.inventory.service import levels
from market.payments import jobs
from market.settings import Settings
from tests.buyers import mobile_buyer, seller_with_products
from tests.factories import bearer
from tests.fakes.stripe import FakeStripe, signed
from tests.shoppers import checkout, checkout_body, fill_cart, variant_ids

Drain = Callable[[], Awaitable[None]]


async def deliver(client: httpx.AsyncClient, settings: Settings, event: dict[str, Any], **sign: Any) -> httpx.Response:
    payload = json.dumps(event).encode()
    signature = signed(payload, settings.stripe_webhook_secret or "", **sign)
    return await client.post("/webhooks/stripe", content=payload,
                             headers={"Stripe-Signature": signature, "Content-Type": "application/json"})  # fmt: skip


@pytest.fixture
async def shop(client: httpx.AsyncClient, operator: str, categories: None) -> dict[str, Any]:
    return await seller_with_products(client, operator, [{}])


async def card_order(client: httpx.AsyncClient, shop: dict[str, Any], items: list[tuple[int, int]] | None = None,
                     key: str | None = None) -> dict[str, Any]:  # fmt: skip
    """A buyer checks out by card: {"order", "buyer", "intent_id", "variants"}."""
    variants = variant_ids(shop["products"][0])
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(variants[i], q) for i, q in (items or [(0, 2)])])
    response = await checkout(client, buyer["headers"], checkout_body(payment_method="card"), key=key)
    assert response.status_code == 201, response.text
    order = response.json()
    rows = await fetch("SELECT provider_ref FROM payment WHERE order_id = $1", order["id"])
    return {"order": order, "buyer": buyer, "intent_id": rows[0]["provider_ref"], "variants": variants}


async def status_of(order_id: str) -> tuple[str, list[str]]:
    order = await fetch("SELECT payment_status FROM orders WHERE id = $1", order_id)
    seller_orders = await fetch("SELECT status FROM seller_order WHERE order_id = $1 ORDER BY id", order_id)
    return order[0]["payment_status"], [row["status"] for row in seller_orders]


async def test_card_checkout_hands_the_client_secret_over(
    client: httpx.AsyncClient, shop: dict[str, Any], stripe_fake: FakeStripe, settings: Settings
) -> None:
    placed = await card_order(client, shop)
    order = placed["order"]

    assert order["status"] == "pending_payment"
    payment = order["payment"]
    assert payment["next_action"] == "requires_payment"
    assert payment["publishable_key"] == settings.stripe_publishable_key
    (intent,) = stripe_fake.intents_for(order["id"])
    assert payment["client_secret"] == intent["client_secret"]
    assert (intent["amount"], intent["currency"]) == (order["total"], "vnd")  # whole đồng: zero-decimal
    assert intent["automatic_payment_methods"] == {"enabled": True}


async def test_stripe_down_at_checkout_is_a_503_and_the_retry_makes_one_intent(
    client: httpx.AsyncClient, shop: dict[str, Any], stripe_fake: FakeStripe, settings: Settings
) -> None:
    variants = variant_ids(shop["products"][0])
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(variants[0], 1)])
    body = checkout_body(payment_method="card")

    with stripe_fake.faulty("down"):
        down = await checkout(client, buyer["headers"], body, key="card-1")
    with stripe_fake.faulty("error"):
        failing = await checkout(client, buyer["headers"], body, key="card-1")
    with stripe_fake.faulty("slow", delay_s=settings.stripe_timeout_s + 0.5):
        slow = await checkout(client, buyer["headers"], body, key="card-1")

    assert down.status_code == 503 and down.json()["code"] == "dependency_unavailable"
    assert down.json()["dependency"] == "stripe" and down.headers["retry-after"]
    assert failing.status_code == 503 and slow.status_code == 503
    (order_id,) = [row["id"] for row in await fetch("SELECT id FROM orders")]
    assert (await status_of(order_id))[0] == "pending"
    assert (await levels([variants[0]]))[variants[0]].reserved == 1

    retried = await checkout(client, buyer["headers"], body, key="card-1")
    again = await checkout(client, buyer["headers"], body, key="card-1")

    assert retried.status_code == 201, retried.text
    assert retried.json()["id"] == order_id and again.json() == retried.json()
    assert len(stripe_fake.intents_for(order_id)) == 1


async def test_signature_and_age_are_checked(client: httpx.AsyncClient, settings: Settings) -> None:
    event = {"id": "evt_1", "object": "event", "type": "payment_intent.succeeded", "created": int(time.time()),
             "data": {"object": {"id": "pi_1", "object": "payment_intent"}}}  # fmt: skip
    payload = json.dumps(event).encode()

    forged = await client.post("/webhooks/stripe", content=payload,
                               headers={"Stripe-Signature": signed(payload, "whsec_someone_else")})  # fmt: skip
    stale = await deliver(client, settings, event, timestamp=int(time.time()) - 3600)
    unsigned = await client.post("/webhooks/stripe", content=payload)

    for response in (forged, stale, unsigned):
        assert response.status_code == 400 and response.json()["code"] == "invalid_signature"
    assert await fetch("SELECT id FROM stripe_event") == []

    idless = await deliver(client, settings, {key: value for key, value in event.items() if key != "id"})
    assert idless.status_code == 200 and idless.json()["received"] is True
    unknown = await deliver(client, settings, {**event, "id": "evt_2", "type": "customer.created"})
    assert unknown.status_code == 200 and unknown.json() == {"received": True, "duplicate": False}
    assert await fetch("SELECT id FROM stripe_event") == []


async def test_success_confirms_and_failure_releases(
    client: httpx.AsyncClient, shop: dict[str, Any], stripe_fake: FakeStripe, settings: Settings, worker: Drain
) -> None:
    paid = await card_order(client, shop, [(0, 2)])
    declined = await card_order(client, shop, [(0, 3)])
    kg = paid["variants"][0]
    assert (await levels([kg]))[kg].reserved == 5

    for event in stripe_fake.succeed(paid["intent_id"]) + stripe_fake.fail(declined["intent_id"]):
        assert (await deliver(client, settings, event)).status_code == 200
    await worker()

    assert await status_of(paid["order"]["id"]) == ("paid", ["confirmed"])
    assert await status_of(declined["order"]["id"]) == ("failed", ["cancelled"])
    assert (await levels([kg]))[kg].reserved == 2
    # A declined intent is canceled at Stripe, so it cannot succeed after its stock was released.
    assert stripe_fake.intents[declined["intent_id"]]["status"] == "canceled"
    payment = (await fetch("SELECT status, amount_received FROM payment WHERE provider_ref = $1", paid["intent_id"]))[0]
    assert (payment["status"], payment["amount_received"]) == ("succeeded", paid["order"]["total"])


async def test_events_three_times_shuffled_end_as_in_order(
    client: httpx.AsyncClient, shop: dict[str, Any], stripe_fake: FakeStripe, settings: Settings, worker: Drain
) -> None:
    orders = [await card_order(client, shop, [(0, 1)]) for _ in range(4)]
    kg = orders[0]["variants"][0]
    late = orders[3]["order"]["id"]  # its reservation expires before the payment's success arrives
    await fetch("UPDATE orders SET reserved_until = now() - interval '1 second' WHERE id = $1", late)
    from market.orders.service import release_expired

    assert await release_expired() == 1
    events = stripe_fake.succeed(orders[0]["intent_id"]) + stripe_fake.fail(orders[1]["intent_id"])
    events += stripe_fake.succeed(orders[3]["intent_id"])
    stripe_fake._cancel(stripe_fake.intents[orders[2]["intent_id"]])
    events += [e for e in stripe_fake.events if e["type"] == "payment_intent.canceled"]
    events += stripe_fake.dispute(orders[0]["intent_id"])
    deliveries = events * 3
    random.Random(7).shuffle(deliveries)

    answers = [await deliver(client, settings, event) for event in deliveries]
    await worker()

    assert all(answer.status_code == 200 for answer in answers)
    assert sum(answer.json()["duplicate"] for answer in answers) == 2 * len([e for e in events if e["type"] !=
                                                                              "charge.succeeded"])  # fmt: skip
    assert await status_of(orders[0]["order"]["id"]) == ("paid", ["confirmed"])
    assert await status_of(orders[1]["order"]["id"]) == ("failed", ["cancelled"])
    assert await status_of(orders[2]["order"]["id"]) == ("canceled", ["cancelled"])
    assert (await levels([kg]))[kg].reserved == 1  # released once each, never twice
    assert [r["amount"] for r in stripe_fake.refunds.values()] == [orders[3]["order"]["total"]]  # refunded once
    confirmations = await fetch("SELECT count(*) AS n FROM seller_order_transition WHERE to_status = 'confirmed'")
    assert confirmations[0]["n"] == 1
    flagged = await client.get("/admin/v1/payments", params={"disputed": "true"}, headers=bearer(await _operator()))
    assert [p["order_id"] for p in flagged.json()["data"]] == [orders[0]["order"]["id"]]
    assert flagged.json()["data"][0]["dispute_reason"] == "fraudulent"


async def _operator() -> str:
    from tests.factories import operator_token

    return await operator_token()


async def test_a_seller_cancel_refunds_the_card_once(
    client: httpx.AsyncClient, shop: dict[str, Any], stripe_fake: FakeStripe, settings: Settings, worker: Drain
) -> None:
    placed = await card_order(client, shop, [(0, 2)])
    for event in stripe_fake.succeed(placed["intent_id"]):
        await deliver(client, settings, event)
    await worker()
    sor = placed["order"]["seller_orders"][0]

    cancelled = await client.post(f"/seller/v1/orders/{sor['id']}/cancel", json={"reason": "Hết hàng"},
                                  headers=bearer(shop["key"]))  # fmt: skip
    await worker()
    for event in [e for e in stripe_fake.events if e["type"] == "charge.refunded"] * 2:
        await deliver(client, settings, event)
    await worker()

    assert cancelled.status_code == 200
    assert [r["amount"] for r in stripe_fake.refunds.values()] == [sor["total"]]
    payment = (await fetch("SELECT amount_refunded FROM payment WHERE provider_ref = $1", placed["intent_id"]))[0]
    assert payment["amount_refunded"] == sor["total"]
    refunds = await client.get(f"/admin/v1/orders/{placed['order']['id']}/refunds", headers=bearer(await _operator()))
    assert [(r["status"], r["amount"]) for r in refunds.json()["data"]] == [("succeeded", sor["total"])]


async def test_packed_lighter_refunds_the_difference(
    client: httpx.AsyncClient, shop: dict[str, Any], stripe_fake: FakeStripe, settings: Settings, worker: Drain
) -> None:
    placed = await card_order(client, shop, [(0, 2)])  # 2 kg at 65,000 đ, ±10%
    for event in stripe_fake.succeed(placed["intent_id"]):
        await deliver(client, settings, event)
    await worker()
    sor = placed["order"]["seller_orders"][0]
    key = bearer(shop["key"])
    await client.post(f"/seller/v1/orders/{sor['id']}/start-packing", headers=key)

    packed = await client.post(
        f"/seller/v1/orders/{sor['id']}/pack",
        headers=key,
        json={"lines": [{"line_id": sor["lines"][0]["id"], "packed_weight_g": 1995}]},
    )
    await worker()  # fmt: skip

    assert packed.status_code == 200, packed.text
    difference = sor["subtotal"] - packed.json()["final_subtotal"]
    assert difference == 130_000 - 123_500
    assert [r["amount"] for r in stripe_fake.refunds.values()] == [difference]


async def test_operator_refunds_part_of_an_order_idempotently(
    client: httpx.AsyncClient, operator: str, shop: dict[str, Any], stripe_fake: FakeStripe, settings: Settings,
    worker: Drain,
) -> None:  # fmt: skip
    placed = await card_order(client, shop, [(0, 2)])
    order_id = placed["order"]["id"]
    before = await client.post(f"/admin/v1/orders/{order_id}/refunds", json={"reason": "x", "amount": 1},
                               headers={**bearer(operator), "Idempotency-Key": "r0"})  # fmt: skip
    assert before.status_code == 409 and before.json()["code"] == "nothing_to_refund"
    for event in stripe_fake.succeed(placed["intent_id"]):
        await deliver(client, settings, event)
    await worker()
    headers = {**bearer(operator), "Idempotency-Key": "refund-1"}

    first = await client.post(f"/admin/v1/orders/{order_id}/refunds", json={"reason": "Trái dập", "amount": 20_000},
                              headers=headers)  # fmt: skip
    again = await client.post(f"/admin/v1/orders/{order_id}/refunds", json={"reason": "Trái dập", "amount": 20_000},
                              headers=headers)  # fmt: skip
    too_much = await client.post(f"/admin/v1/orders/{order_id}/refunds", json={"reason": "all", "amount": 10**9},
                                 headers={**bearer(operator), "Idempotency-Key": "refund-2"})  # fmt: skip
    missing_key = await client.post(
        f"/admin/v1/orders/{order_id}/refunds", json={"reason": "x"}, headers=bearer(operator)
    )
    await worker()

    assert first.status_code == 201 and again.json()["id"] == first.json()["id"]
    reused = await client.post(f"/admin/v1/orders/{order_id}/refunds", json={"reason": "Trái dập", "amount": 30_000},
                               headers=headers)  # fmt: skip
    assert reused.status_code == 422 and reused.json()["code"] == "idempotency_key_reused"
    assert too_much.status_code == 422 and too_much.json()["errors"][0]["code"] == "refund_exceeds_payment"
    assert missing_key.status_code == 400
    assert [r["amount"] for r in stripe_fake.refunds.values()] == [20_000]


async def test_reconciliation_applies_what_the_webhook_missed(
    client: httpx.AsyncClient, shop: dict[str, Any], stripe_fake: FakeStripe, worker: Drain
) -> None:
    placed = await card_order(client, shop, [(0, 1)])
    stripe_fake.succeed(placed["intent_id"])  # the webhook never arrives

    added = await jobs.reconcile()
    again = await jobs.reconcile()
    await worker()

    assert added == 1 and again == 0  # payment_intent.succeeded (created and charge.succeeded are not ours)
    assert await status_of(placed["order"]["id"]) == ("paid", ["confirmed"])


async def test_a_payment_after_expiry_is_refunded(
    client: httpx.AsyncClient, shop: dict[str, Any], stripe_fake: FakeStripe, settings: Settings, worker: Drain
) -> None:
    from market.orders.service import release_expired

    placed = await card_order(client, shop, [(0, 1)])
    stripe_fake.succeed(placed["intent_id"])  # paid at Stripe, but our reservation ran out first
    await fetch("UPDATE orders SET reserved_until = now() - interval '1 second' WHERE id = $1", placed["order"]["id"])
    assert await release_expired() == 1
    await worker()  # order.expired: cancel the intent at Stripe, which says it succeeded: settle, then refund

    assert await status_of(placed["order"]["id"]) == ("expired", ["cancelled"])
    assert [r["amount"] for r in stripe_fake.refunds.values()] == [placed["order"]["total"]]


@pytest.mark.skipif(
    not __import__("tests.conftest", fromlist=["STRIPE_TEST_MODE_KEY"]).STRIPE_TEST_MODE_KEY,
    reason="STRIPE_SECRET_KEY is not set: no Stripe test-mode account to talk to",
)
async def test_stripe_test_mode_creates_and_cancels_an_intent(settings: Settings) -> None:
    import dataclasses

    from market.payments.gateway import PaymentRequest
    from market.payments.stripe_gateway import StripeGateway
    from tests.conftest import STRIPE_TEST_MODE_KEY

    real = dataclasses.replace(settings, stripe_secret_key=STRIPE_TEST_MODE_KEY, stripe_api_base=None)
    gateway = StripeGateway(real)
    await fetch("INSERT INTO payment (id, order_id, method, provider, status, currency, amount, amount_received, "
                "amount_refunded, created_at, updated_at) VALUES ('pay_testmode', 'ord_testmode', 'card', 'stripe', "
                "'pending', 'VND', 150000, 0, 0, now(), now())")  # fmt: skip
    start = await gateway.start(PaymentRequest("ord_testmode", 150_000, "VND", None, "+84912345678"))
    intent_id = (await fetch("SELECT provider_ref FROM payment WHERE id = 'pay_testmode'"))[0]["provider_ref"]

    assert start.client_secret and intent_id.startswith("pi_")
    intent = await gateway.intent(intent_id)
    assert (intent.amount, intent.currency) == (150_000, "vnd")
    assert (await gateway.cancel(intent_id)).status == "canceled"


async def test_a_part_cancelled_before_payment_is_refunded_when_it_arrives(
    client: httpx.AsyncClient, operator: str, categories: None, stripe_fake: FakeStripe, settings: Settings,
    worker: Drain,
) -> None:  # fmt: skip
    first = await seller_with_products(client, operator, [{}])
    second = await seller_with_products(client, operator, [{}])
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(variant_ids(first["products"][0])[0], 1),
                                               (variant_ids(second["products"][0])[0], 1)])  # fmt: skip
    order = (await checkout(client, buyer["headers"], checkout_body(payment_method="card"))).json()
    dropped = order["seller_orders"][0]
    cancel = await client.post(f"/api/v1/orders/{order['id']}/seller-orders/{dropped['id']}/cancel",
                               json={"reason": "Không cần nữa"}, headers=buyer["headers"])  # fmt: skip
    assert cancel.status_code == 200
    intent_id = (await fetch("SELECT provider_ref FROM payment WHERE order_id = $1", order["id"]))[0]["provider_ref"]

    for event in stripe_fake.succeed(intent_id):  # the buyer pays the amount the client secret was made for
        await deliver(client, settings, event)
    await worker()

    assert await status_of(order["id"]) == ("paid", sorted(["cancelled", "confirmed"]))
    assert [r["amount"] for r in stripe_fake.refunds.values()] == [dropped["total"]]
