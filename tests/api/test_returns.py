"""Returns after delivery, end to end against the carrier simulator (and the fake Stripe for cards): the buyer opens
a return in the window, the seller accepts or refuses, the buyer disputes, an operator decides; the return parcel
goes back to the seller, the stock comes back and the money goes back. Every step is read by the buyer, the seller
and the operator."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import httpx
import pytest

from market.core.db import fetch
from market.inventory.service import levels
from market.settings import Settings
from market.shipping.jobs import handoff_once
from market.shipping.registry import carrier_for
from tests.api.test_shipping import deliver as deliver_carrier
from tests.buyers import mobile_buyer, seller_with_products
from tests.factories import bearer
from tests.fakes.carrier import CarrierSim
from tests.shoppers import checkout, fill_cart, variant_ids

Drain = Callable[[], Awaitable[None]]
PHOTO = "https://1.1.1.1/thung-dap.jpg"


async def _advance(client: httpx.AsyncClient, carrier_sim: CarrierSim, order_code: str, steps: int) -> None:
    carrier_sim.advance(order_code, steps=steps)
    for webhook in carrier_sim.take():
        answer = await deliver_carrier(client, webhook)
        assert answer.status_code == 200, answer.text


async def _delivered(
    client: httpx.AsyncClient, shop: dict[str, Any], buyer: dict[str, Any], order: dict[str, Any], settings: Settings,
    carrier_sim: CarrierSim, worker: Drain,
) -> dict[str, Any]:  # fmt: skip
    """Pack the order's one seller order (2 kg packed as 2,100 g, 2 boxes), hand it over and deliver it."""
    sor = order["seller_orders"][0]
    key = bearer(shop["key"])
    assert (await client.post(f"/seller/v1/orders/{sor['id']}/start-packing", headers=key)).status_code == 200
    kg_line = next(line for line in sor["lines"] if line["catch_weight"])
    packed = await client.post(f"/seller/v1/orders/{sor['id']}/pack", headers=key,
                               json={"lines": [{"line_id": kg_line["id"], "packed_weight_g": 2100}]})  # fmt: skip
    assert packed.status_code == 200, packed.text
    await worker()
    carrier = carrier_for(settings)
    assert carrier is not None
    await handoff_once(carrier)
    await _advance(client, carrier_sim, sor["id"], 3)  # picked up, in transit, delivered
    # Until the lifecycle's follow_carrier records delivered_at, the delivery time is set here (kept when it did).
    await fetch("UPDATE seller_order SET delivered_at = coalesce(delivered_at, now()) WHERE id = $1", sor["id"])
    seller_order = (await client.get(f"/seller/v1/orders/{sor['id']}", headers=key)).json()
    assert seller_order["status"] == "delivered"
    box_line = next(line for line in sor["lines"] if not line["catch_weight"])
    return {"shop": shop, "buyer": buyer, "order": order, "sor": seller_order, "key": key, "kg_line": kg_line,
            "box_line": box_line, "box": box_line["variant_id"], "carrier": carrier}  # fmt: skip


@pytest.fixture
async def shop(client: httpx.AsyncClient, operator: str, categories: None) -> dict[str, Any]:
    return await seller_with_products(client, operator, [{}])


@pytest.fixture
async def cod(
    client: httpx.AsyncClient, shop: dict[str, Any], settings: Settings, carrier_sim: CarrierSim, worker: Drain
) -> dict[str, Any]:
    """A delivered cash-on-delivery order of 2 kg (catch weight) and 2 boxes (300,000 đ each)."""
    kg, box = variant_ids(shop["products"][0])
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(kg, 2), (box, 2)])
    order = (await checkout(client, buyer["headers"])).json()
    return await _delivered(client, shop, buyer, order, settings, carrier_sim, worker)


def _body(delivered: dict[str, Any], quantity: int = 1, **overrides: Any) -> dict[str, Any]:
    body = {"seller_order_id": delivered["sor"]["id"], "reason_code": "damaged",
            "reason": "Thùng bị móp, 1 thùng dập nhiều trái.", "photos": [PHOTO],
            "lines": [{"line_id": delivered["box_line"]["id"], "quantity": quantity}]}  # fmt: skip
    body.update(overrides)
    return body


async def _open(
    client: httpx.AsyncClient, delivered: dict[str, Any], body: dict[str, Any] | None = None, key: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:  # fmt: skip
    return await client.post(
        f"/api/v1/orders/{delivered['order']['id']}/returns",
        json=body if body is not None else _body(delivered),
        headers={**(headers or delivered["buyer"]["headers"]), "Idempotency-Key": key or str(uuid.uuid4())},
    )


async def _read(client: httpx.AsyncClient, delivered: dict[str, Any], operator: str, return_id: str) -> dict[str, Any]:
    """The return as the buyer, the seller and the operator read it: one and the same."""
    buyer = await client.get(f"/api/v1/returns/{return_id}", headers=delivered["buyer"]["headers"])
    seller = await client.get(f"/seller/v1/returns/{return_id}", headers=delivered["key"])
    admin = await client.get(f"/admin/v1/returns/{return_id}", headers=bearer(operator))
    assert buyer.status_code == seller.status_code == admin.status_code == 200, (buyer.text, seller.text)
    assert buyer.json() == seller.json() == admin.json()
    listed = await client.get("/seller/v1/returns", headers=delivered["key"])
    assert [item["id"] for item in listed.json()["data"]] == [return_id]
    assert listed.json()["data"][0] == buyer.json()
    found: dict[str, Any] = buyer.json()
    return found


async def _open_returns(seller_order_id: str) -> int:
    return int((await fetch("SELECT open_returns FROM seller_order WHERE id = $1", seller_order_id))[0]["open_returns"])


async def _events(kind: str) -> int:
    return len(await fetch("SELECT 1 FROM outbox_event WHERE type = $1", kind))


def _label_party(pdf: bytes, who: str) -> str:
    found = re.search(rb"\(" + who.encode() + rb": ([^)]*)\)", pdf)
    assert found is not None, pdf
    return found.group(1).decode()


async def test_a_cod_return_goes_back_to_the_seller_restocks_and_is_refunded_by_transfer(
    client: httpx.AsyncClient, operator: str, cod: dict[str, Any], carrier_sim: CarrierSim, worker: Drain
) -> None:
    sor_id, box = cod["sor"]["id"], cod["box"]
    assert (await levels([box]))[box].on_hand == 6  # 8, 2 left with the carrier

    opened = await _open(client, cod)

    assert opened.status_code == 201, opened.text
    ret = opened.json()
    assert ret["id"].startswith("ret_") and ret["object"] == "return" and ret["status"] == "requested"
    assert opened.headers["location"] == f"/api/v1/returns/{ret['id']}"
    assert ret["refund"] == {"amount": 300_000, "method": "bank_transfer", "status": "not_requested",
                             "refund_id": None}  # fmt: skip
    assert ret["photos"] == [PHOTO] and ret["parcel"] is None and ret["currency"] == "VND"
    assert [(line["line_id"], line["quantity"], line["amount"]) for line in ret["lines"]] == [
        (cod["box_line"]["id"], 1, 300_000)]  # fmt: skip
    assert await _read(client, cod, operator, ret["id"]) == ret
    assert await _open_returns(sor_id) == 1  # the seller order's completion waits
    requested = await client.get("/seller/v1/returns", params={"status": "requested"}, headers=cod["key"])
    assert [item["id"] for item in requested.json()["data"]] == [ret["id"]]

    accepted = await client.post(f"/seller/v1/returns/{ret['id']}/accept", headers=cod["key"])
    again = await client.post(f"/seller/v1/returns/{ret['id']}/accept", headers=cod["key"])
    await worker()  # return.accepted opens the return parcel

    assert accepted.status_code == again.status_code == 200
    assert accepted.json()["status"] == "accepted" and again.json()["status"] == "accepted"
    view = await _read(client, cod, operator, ret["id"])
    assert view["parcel"]["status"] == "pending" and view["refund"]["status"] == "not_requested"

    await handoff_once(cod["carrier"])
    view = await _read(client, cod, operator, ret["id"])
    parcel = view["parcel"]
    assert parcel["status"] == "created" and parcel["tracking_code"].startswith("EJ") and parcel["label_url"]
    at_carrier = {p["order_code"]: p for p in carrier_sim.parcels()["parcels"]}
    assert at_carrier[ret["id"]]["cod_amount"] == 0  # nothing to collect on a return
    delivery_label = httpx.get(f"{carrier_sim.url}/labels/{at_carrier[sor_id]['tracking_code']}.pdf").content
    return_label = httpx.get(parcel["label_url"]).content
    assert _label_party(return_label, "Gui") == _label_party(delivery_label, "Nhan")  # from the buyer
    assert _label_party(return_label, "Nhan") == _label_party(delivery_label, "Gui")  # to the seller's pickup

    await _advance(client, carrier_sim, ret["id"], 2)  # picked up at the buyer, in transit
    assert (await _read(client, cod, operator, ret["id"]))["status"] == "accepted"
    await _advance(client, carrier_sim, ret["id"], 1)  # delivered to the seller
    await worker()

    view = await _read(client, cod, operator, ret["id"])
    assert view["status"] == "refunded" and view["parcel"]["status"] == "delivered"
    assert [step["to_status"] for step in view["history"]] == ["requested", "accepted", "received", "refunded"]
    assert view["history"][1]["actor"].startswith(f"seller:{cod['shop']['seller']['id']}")
    assert view["refund"]["method"] == "bank_transfer" and view["refund"]["status"] == "manual"
    refunds = (await client.get(f"/admin/v1/orders/{cod['order']['id']}/refunds", headers=bearer(operator))).json()
    assert [(r["id"], r["amount"], r["status"]) for r in refunds] == [(view["refund"]["refund_id"], 300_000, "manual")]
    assert (await levels([box]))[box].on_hand == 7  # the returned box is back on the shelf, once
    assert await _open_returns(sor_id) == 0
    seller_order = (await client.get(f"/seller/v1/orders/{sor_id}", headers=cod["key"])).json()
    assert seller_order["status"] == "delivered"  # its other lines were kept; it completes when the window ends

    late_accept = await client.post(f"/seller/v1/returns/{ret['id']}/accept", headers=cod["key"])
    assert late_accept.status_code == 200 and late_accept.json()["status"] == "refunded"
    await worker()
    assert [p["order_code"] for p in carrier_sim.parcels()["parcels"]].count(ret["id"]) == 1
    refunds = (await client.get(f"/admin/v1/orders/{cod['order']['id']}/refunds", headers=bearer(operator))).json()
    assert len(refunds) == 1
    for kind in ("return.requested", "return.accepted", "return.received", "return.refunded"):
        assert await _events(kind) == 1, kind
