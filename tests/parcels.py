"""Parcels at the carrier simulator, for the shipping tests: a packed cash-on-delivery seller order, its handoff,
and the carrier's signed webhooks delivered to the app (as they come, or rewritten and signed again)."""

from __future__ import annotations

import json
from typing import Any

import httpx

from market.core.db import fetch
from market.settings import Settings
from market.shipping.jobs import handoff_once
from market.shipping.registry import carrier_for
from market.shipping.vnpost import VnPost, signature
from tests.buyers import mobile_buyer, seller_with_products
from tests.factories import bearer
from tests.fakes.carrier import CarrierSim
from tests.shoppers import checkout, fill_cart, variant_ids


async def packed_cod_order(client: httpx.AsyncClient, operator: str, worker: Any) -> dict[str, Any]:
    """A cash-on-delivery seller order of 2 kg (catch weight, packed at 2.1 kg) and 1 box; its parcel is open."""
    shop = await seller_with_products(client, operator, [{}])
    kg, box = variant_ids(shop["products"][0])
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(kg, 2), (box, 1)])
    order = (await checkout(client, buyer["headers"])).json()
    sor = order["seller_orders"][0]
    key = bearer(shop["key"])
    await client.post(f"/seller/v1/orders/{sor['id']}/start-packing", headers=key)
    line = next(line for line in sor["lines"] if line["catch_weight"])
    done = await client.post(f"/seller/v1/orders/{sor['id']}/pack", headers=key,
                             json={"lines": [{"line_id": line["id"], "packed_weight_g": 2100}]})  # fmt: skip
    assert done.status_code == 200, done.text
    await worker()  # seller_order.packed opens the parcel
    return {"shop": shop, "buyer": buyer, "order": order, "sor": done.json(), "kg": kg, "box": box, "key": key}


async def due_now() -> None:
    await fetch("UPDATE parcel SET next_attempt_at = now() WHERE status = 'pending'")


async def handed_over(settings: Settings) -> VnPost:
    """Every due parcel created at the carrier; returns the carrier adapter."""
    carrier = carrier_for(settings)
    assert carrier is not None
    await handoff_once(carrier)
    return carrier


async def deliver(client: httpx.AsyncClient, webhook: dict[str, str], **headers: str) -> httpx.Response:
    """Post one of the simulator's signed webhooks to the app, as the carrier does."""
    return await client.post("/webhooks/carriers/vnpost", content=webhook["body"].encode(), headers={
        "Content-Type": "application/json", "X-Transaction-Id": webhook["transaction"],
        "X-Signature": webhook["signature"], **headers})  # fmt: skip


def signed(body: bytes | dict[str, Any], transaction: str) -> dict[str, str]:
    """A webhook with `body` (a dict is JSON-encoded) signed with the carrier's real secret."""
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return {"transaction": transaction, "body": raw.decode(errors="replace"),
            "signature": signature(CarrierSim.webhook_secret, raw)}  # fmt: skip


async def deliver_all(client: httpx.AsyncClient, carrier_sim: CarrierSim) -> list[httpx.Response]:
    """Every webhook the simulator has waiting, delivered in order; each must be acknowledged."""
    answers = [await deliver(client, webhook) for webhook in carrier_sim.take()]
    assert all(answer.status_code == 200 for answer in answers), [answer.text for answer in answers]
    return answers


async def delivered_cod_parcel(
    client: httpx.AsyncClient, packed: dict[str, Any], carrier_sim: CarrierSim, settings: Settings
) -> dict[str, Any]:
    """Hand the packed order over, move it to delivered at the simulator and deliver its webhooks; the parcel row."""
    await handed_over(settings)
    carrier_sim.advance(packed["sor"]["id"], steps=3)  # picked up, in transit, delivered
    await deliver_all(client, carrier_sim)
    return dict((await fetch("SELECT * FROM parcel WHERE seller_order_id = $1", packed["sor"]["id"]))[0])
