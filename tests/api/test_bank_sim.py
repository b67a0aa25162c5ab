"""The bank-feed simulator end to end: a buyer's transfer from the order's VietQR payload, its webhook delivered to
the app served over HTTP (down, then retried; duplicated; mangled; short), and the reconciliation pulling its
transaction list when the webhooks never came. And the Stripe simulator's page."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from market.core.db import fetch
from market.settings import Settings
from tests.banking import bank_order, outcomes
from tests.buyers import seller_with_products
from tests.contract.served import ServedApp
from tests.factories import bearer
from tests.fakes.bank import BankSim
from tests.fakes.stripe import FakeStripe
from tests.payments_flow import card_checkout


@pytest.fixture
async def shop(client: httpx.AsyncClient, operator: str, categories: None) -> dict[str, Any]:
    return await seller_with_products(client, operator, [{}])


async def until(check: Any, seconds: float = 15) -> None:
    for _ in range(int(seconds * 10)):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("not within the time")


async def test_the_reconciliation_stores_what_the_webhooks_missed(
    client: httpx.AsyncClient, shop: dict[str, Any], bank_sim: BankSim, operator: str
) -> None:
    placed = await bank_order(client, shop)
    short = await bank_order(client, shop)
    bank_sim.call("/api/transfers", {"payload": placed["transfer"]["payload"]})  # scanned: amount and text
    bank_sim.call("/api/transfers", {"content": short["transfer"]["reference"], "amount": short["order"]["total"],
                                     "faults": {"mangle": True, "short": 20_000}})  # fmt: skip
    assert await fetch("SELECT id FROM bank_credit") == []  # no webhook URL: nothing came

    first = await client.post("/admin/v1/bank-reconciliations", headers=bearer(operator))
    again = await client.post("/admin/v1/bank-reconciliations", headers=bearer(operator))

    assert first.status_code == 200, first.text
    assert (first.json()["fetched"], first.json()["added"]) == (2, 2)
    assert (again.json()["fetched"], again.json()["added"]) == (2, 0)
    assert sorted(await outcomes()) == ["matched", "short"]
    mangled = bank_sim.transactions()["transactions"][1]["content"]
    assert short["transfer"]["reference"] not in mangled  # the bank split it, and still it matched


async def test_webhooks_wait_while_the_feed_is_down_then_arrive_once(
    client: httpx.AsyncClient, shop: dict[str, Any], bank_sim: BankSim, settings: Settings
) -> None:
    placed = [await bank_order(client, shop) for _ in range(3)]
    with ServedApp() as served:
        bank_sim.call("/_sim/config", {"webhook_url": f"{served.base_url}/webhooks/banks/sepay"})
        bank_sim.call("/_sim/faults", {"down": True, "shuffle": True})
        for p in placed:
            bank_sim.call("/api/transfers", {"content": f"ck {p['transfer']['reference']}",
                                             "amount": p["order"]["total"], "faults": {"duplicate": 3}})  # fmt: skip
        await asyncio.sleep(1)
        assert await fetch("SELECT id FROM bank_credit") == []

        bank_sim.call("/_sim/faults", {"down": False})

        async def all_paid() -> bool:
            rows = await fetch("SELECT payment_status FROM orders")
            return [row["payment_status"] for row in rows] == ["paid"] * 3

        await until(all_paid)

        async def all_delivered() -> bool:  # the duplicates may still be on their way once the orders are paid
            deliveries = bank_sim.transactions()["deliveries"]
            return len(deliveries) == 9 and all(d["delivered"] for d in deliveries)

        await until(all_delivered)
    assert await outcomes() == ["matched"] * 3
    assert all(d["last_status"] == 200 for d in bank_sim.transactions()["deliveries"])


async def test_the_stripe_simulator_page_confirms_and_declines(
    client: httpx.AsyncClient, shop: dict[str, Any], stripe_fake: FakeStripe
) -> None:
    paid = await card_checkout(client, shop)
    declined = await card_checkout(client, shop)

    page = httpx.get(stripe_fake.url + "/")
    confirm = httpx.post(f"{stripe_fake.url}/intents/{paid['intent_id']}/confirm")
    decline = httpx.post(f"{stripe_fake.url}/intents/{declined['intent_id']}/decline")

    assert page.status_code == 200 and paid["intent_id"] in page.text and "Confirm" in page.text
    assert confirm.status_code == 303 and decline.status_code == 303
    assert stripe_fake.intents[paid["intent_id"]]["status"] == "succeeded"
    assert stripe_fake.intents[declined["intent_id"]]["last_payment_error"]["code"] == "card_declined"
    kinds = [event["type"] for event in stripe_fake.events]
    assert "payment_intent.succeeded" in kinds and "payment_intent.payment_failed" in kinds
