"""Orders taken through their whole life in the tests: checkout, packing, the carrier simulator's webhooks, and the
three readers' views (buyer, seller, operator) of the result."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import httpx

from market.core.clock import VIETNAM
from market.core.db import fetch
from market.settings import Settings
from market.shipping.jobs import handoff_once
from market.shipping.registry import carrier_for
from market.shipping.vnpost import DATETIME_FORMAT, signature
from tests.buyers import mobile_buyer
from tests.factories import bearer
from tests.fakes.carrier import CarrierSim
from tests.fakes.stripe import FakeStripe
from tests.shoppers import checkout, checkout_body, fill_cart

Drain = Callable[[], Awaitable[None]]


@dataclass
class Placed:
    """An order as its buyer placed it, with the keys of its sellers (by seller id) and the operator's token."""

    order: dict[str, Any]
    buyer: dict[str, Any]
    keys: dict[str, dict[str, str]]
    operator: dict[str, str]
    seller_orders: list[dict[str, Any]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.order["id"])

    def key_of(self, seller_order: dict[str, Any]) -> dict[str, str]:
        return self.keys[seller_order["seller_id"]]


async def place(
    client: httpx.AsyncClient, shops: list[dict[str, Any]], items: list[tuple[str, int]], operator: str,
    payment_method: str = "cod",
) -> Placed:  # fmt: skip
    """A new buyer checks these items out (201 asserted)."""
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], items)
    response = await checkout(client, buyer["headers"], checkout_body(payment_method=payment_method))
    assert response.status_code == 201, response.text
    order = response.json()
    keys = {shop["seller"]["id"]: bearer(shop["key"]) for shop in shops}
    return Placed(order, buyer, keys, bearer(operator), order["seller_orders"])


async def pay(client: httpx.AsyncClient, placed: Placed, settings: Settings, stripe: FakeStripe, drain: Drain) -> None:
    """The buyer's card payment succeeds at (the fake) Stripe, whose signed events reach the webhook."""
    from tests.api.test_payments import deliver

    intent = (await fetch("SELECT provider_ref FROM payment WHERE order_id = $1", placed.id))[0]["provider_ref"]
    for event in stripe.succeed(intent):
        assert (await deliver(client, settings, event)).status_code == 200
    await drain()


async def pack(client: httpx.AsyncClient, placed: Placed, seller_order: dict[str, Any], percent: int = 100) -> dict:
    """The seller packs it, each catch-weight line at `percent` of its ordered weight; returns the seller's view."""
    key = placed.key_of(seller_order)
    started = await client.post(f"/seller/v1/orders/{seller_order['id']}/start-packing", headers=key)
    assert started.status_code == 200, started.text
    lines = [{"line_id": line["id"], "packed_weight_g": line["quantity"] * line["weight_g"] * percent // 100}
             for line in seller_order["lines"] if line["catch_weight"]]  # fmt: skip
    packed = await client.post(f"/seller/v1/orders/{seller_order['id']}/pack", json={"lines": lines}, headers=key)
    assert packed.status_code == 200, packed.text
    return dict(packed.json())


async def post_webhook(client: httpx.AsyncClient, webhook: dict[str, str]) -> None:
    answer = await client.post("/webhooks/carriers/vnpost", content=webhook["body"].encode(), headers={
        "Content-Type": "application/json", "X-Transaction-Id": webhook["transaction"],
        "X-Signature": webhook["signature"]})  # fmt: skip
    assert answer.status_code == 200, answer.text


async def ship(
    client: httpx.AsyncClient, seller_order_id: str, settings: Settings, carrier_sim: CarrierSim, drain: Drain,
    ends: str = "delivered", last_at: datetime | None = None,
) -> None:  # fmt: skip
    """Hand a packed seller order's parcel to the simulator and post every webhook of its path (delivered: picked
    up, in transit, delivered; returned: five). `last_at` dates the last report (the carrier's clock)."""
    await drain()  # seller_order.packed opens the parcel
    carrier = carrier_for(settings)
    assert carrier is not None
    await handoff_once(carrier)
    if ends == "returned":
        carrier_sim.call("/_sim/path", {"order_code": seller_order_id, "ends": "returned"})
    carrier_sim.advance(seller_order_id, steps=3 if ends == "delivered" else 5)
    webhooks = carrier_sim.take()
    if last_at is not None:
        body = json.loads(webhooks[-1]["body"])
        body["datetime"] = last_at.astimezone(VIETNAM).strftime(DATETIME_FORMAT)
        raw = json.dumps(body).encode()
        webhooks[-1] = {"transaction": webhooks[-1]["transaction"], "body": raw.decode(),
                        "signature": signature(carrier_sim.webhook_secret, raw)}  # fmt: skip
    for webhook in webhooks:
        await post_webhook(client, webhook)
    await drain()


async def views(client: httpx.AsyncClient, placed: Placed) -> tuple[dict, dict, list[dict]]:
    """The order as its buyer and an operator read it, and each seller order as its seller reads it."""
    buyer = await client.get(f"/api/v1/orders/{placed.id}", headers=placed.buyer["headers"])
    operator = await client.get(f"/admin/v1/orders/{placed.id}", headers=placed.operator)
    assert buyer.status_code == 200 and operator.status_code == 200, (buyer.text, operator.text)
    sellers = []
    for seller_order in placed.seller_orders:
        seen = await client.get(f"/seller/v1/orders/{seller_order['id']}", headers=placed.key_of(seller_order))
        assert seen.status_code == 200, seen.text
        sellers.append(seen.json())
    assert buyer.json() == operator.json()  # one derivation for every reader
    return buyer.json(), operator.json(), sellers


async def read(client: httpx.AsyncClient, placed: Placed) -> dict[str, Any]:
    """The order as its buyer reads it (the operator reads the same)."""
    return (await views(client, placed))[0]
