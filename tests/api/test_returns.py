"""Returns after delivery, end to end against the carrier simulator (and the fake Stripe for cards): the buyer opens
a return in the window, the seller accepts or refuses, the buyer disputes, an operator decides; the return parcel
goes back to the seller, the stock comes back and the money goes back. Every step is read by the buyer, the seller
and the operator."""

from __future__ import annotations

import asyncio
import json
import re
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from market.core import clock
from market.core.db import fetch
from market.inventory.service import levels
from market.orders import lifecycle
from market.returns import jobs
from market.settings import Settings
from market.shipping import service as shipping
from market.shipping.jobs import handoff_once
from market.shipping.registry import carrier_for
from tests.api.test_payments import card_order
from tests.api.test_payments import deliver as deliver_stripe
from tests.buyers import mobile_buyer, seller_with_products
from tests.factories import bearer
from tests.fakes.carrier import CarrierSim
from tests.fakes.stripe import FakeStripe
from tests.parcels import deliver as deliver_carrier
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
    seller_order = (await client.get(f"/seller/v1/orders/{sor['id']}", headers=key)).json()
    assert seller_order["status"] == "delivered"
    assert seller_order["return_window_ends_on"] is not None  # the carrier's delivery time starts the window
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
    carrier_sim.advance(ret["id"])  # delivered to the seller, reported twice
    (arrived,) = carrier_sim.take()
    for _ in range(2):
        assert (await deliver_carrier(client, arrived)).status_code == 200
    await worker()

    view = await _read(client, cod, operator, ret["id"])
    assert view["status"] == "refunded" and view["parcel"]["status"] == "delivered"
    assert [step["to_status"] for step in view["history"]] == ["requested", "accepted", "received", "refunded"]
    assert view["history"][1]["actor"].startswith(f"seller:{cod['shop']['seller']['id']}")
    assert view["refund"]["method"] == "bank_transfer" and view["refund"]["status"] == "manual"
    listed = await client.get(f"/admin/v1/orders/{cod['order']['id']}/refunds", headers=bearer(operator))
    refunds = listed.json()["data"]
    assert [(r["id"], r["amount"], r["status"]) for r in refunds] == [(view["refund"]["refund_id"], 300_000, "manual")]
    assert (await levels([box]))[box].on_hand == 7  # the returned box is back on the shelf, once
    assert await _open_returns(sor_id) == 0
    order = (await client.get(f"/api/v1/orders/{cod['order']['id']}", headers=cod["buyer"]["headers"])).json()
    assert order["payment"]["refund_due"] == 300_000  # the buyer's order says what it is owed, by transfer
    seller_order = (await client.get(f"/seller/v1/orders/{sor_id}", headers=cod["key"])).json()
    assert seller_order["status"] == "delivered"  # its other lines were kept; it completes when the window ends
    with clock.travel(timedelta(days=4)):  # the window ends: the sale the seller keeps is what was not given back
        assert await lifecycle.complete_due(3) == 1
    [completed] = await fetch("SELECT payload FROM outbox_event WHERE type = 'seller_order.completed'")
    facts = json.loads(completed["payload"]) if isinstance(completed["payload"], str) else completed["payload"]
    assert (facts["total"], facts["refunded"], facts["net"]) == (cod["sor"]["total"], 300_000,
                                                                 cod["sor"]["total"] - 300_000)  # fmt: skip

    late_accept = await client.post(f"/seller/v1/returns/{ret['id']}/accept", headers=cod["key"])
    assert late_accept.status_code == 200 and late_accept.json()["status"] == "refunded"
    await worker()
    assert [p["order_code"] for p in carrier_sim.parcels()["parcels"]].count(ret["id"]) == 1
    listed = await client.get(f"/admin/v1/orders/{cod['order']['id']}/refunds", headers=bearer(operator))
    refunds = listed.json()["data"]
    assert len(refunds) == 1
    for kind in ("return.requested", "return.accepted", "return.received", "return.refunded"):
        assert await _events(kind) == 1, kind


async def test_a_card_return_is_refunded_on_the_card(
    client: httpx.AsyncClient, operator: str, shop: dict[str, Any], settings: Settings, carrier_sim: CarrierSim,
    stripe_fake: FakeStripe, worker: Drain,
) -> None:  # fmt: skip
    card = await _card_delivered(client, shop, settings, carrier_sim, stripe_fake, worker)
    everything = [{"line_id": card["box_line"]["id"], "quantity": 2}, {"line_id": card["kg_line"]["id"], "quantity": 2}]

    opened = await _open(client, card, _body(card, lines=everything, reason_code="spoiled"))

    assert opened.status_code == 201, opened.text
    ret = opened.json()
    kg_total = card["kg_line"]["line_total"]  # packed at the ordered weight: the line's amount as ordered
    assert ret["refund"] == {"amount": 600_000 + kg_total, "method": "card", "status": "not_requested",
                             "refund_id": None}  # fmt: skip
    assert (await client.post(f"/seller/v1/returns/{ret['id']}/accept", headers=card["key"])).status_code == 200
    await worker()
    await handoff_once(card["carrier"])
    await _advance(client, carrier_sim, ret["id"], 3)
    await worker()  # the refund is executed at Stripe

    view = await _read(client, card, operator, ret["id"])
    assert view["status"] == "refunded"
    assert view["refund"]["method"] == "card" and view["refund"]["status"] == "succeeded"
    (refund,) = stripe_fake.refunds.values()
    assert refund["amount"] == 600_000 + kg_total and refund["payment_intent"] == card["intent_id"]
    stock = await levels([card["box"], card["kg_line"]["variant_id"]])
    assert stock[card["box"]].on_hand == 8 and stock[card["kg_line"]["variant_id"]].on_hand == 40  # all back
    assert (await client.post(f"/seller/v1/returns/{ret['id']}/accept", headers=card["key"])).status_code == 200
    await worker()
    assert len(stripe_fake.refunds) == 1 and await _events("refund.requested") == 1


async def _card_delivered(
    client: httpx.AsyncClient, shop: dict[str, Any], settings: Settings, carrier_sim: CarrierSim,
    stripe_fake: FakeStripe, worker: Drain,
) -> dict[str, Any]:  # fmt: skip
    placed = await card_order(client, shop, [(0, 2), (1, 2)])
    for event in stripe_fake.succeed(placed["intent_id"]):
        assert (await deliver_stripe(client, settings, event)).status_code == 200
    await worker()
    order = (await client.get(f"/api/v1/orders/{placed['order']['id']}", headers=placed["buyer"]["headers"])).json()
    card = await _delivered(client, shop, placed["buyer"], order, settings, carrier_sim, worker)
    return {**card, "intent_id": placed["intent_id"]}


async def test_a_card_with_nothing_left_to_refund_gets_a_manual_refund_and_the_webhook_is_acknowledged(
    client: httpx.AsyncClient, operator: str, shop: dict[str, Any], settings: Settings, carrier_sim: CarrierSim,
    stripe_fake: FakeStripe, worker: Drain,
) -> None:  # fmt: skip
    card = await _card_delivered(client, shop, settings, carrier_sim, stripe_fake, worker)
    ret = (await _open(client, card)).json()
    await client.post(f"/seller/v1/returns/{ret['id']}/accept", headers=card["key"])
    await worker()
    await handoff_once(card["carrier"])
    everything = await client.post(f"/admin/v1/orders/{card['order']['id']}/refunds", headers={
        **bearer(operator), "Idempotency-Key": "all"}, json={"reason": "goodwill"})  # fmt: skip
    assert everything.status_code == 201, everything.text
    await worker()

    await _advance(client, carrier_sim, ret["id"], 3)  # every webhook answered 200 (asserted in _advance)
    await worker()

    view = await _read(client, card, operator, ret["id"])
    assert view["status"] == "refunded"
    assert view["refund"]["method"] == "bank_transfer" and view["refund"]["status"] == "manual"
    assert len(stripe_fake.refunds) == 1  # only the operator's


async def test_a_refusal_disputed_and_accepted_by_an_operator(
    client: httpx.AsyncClient, operator: str, cod: dict[str, Any], worker: Drain
) -> None:
    ret = (await _open(client, cod)).json()
    reason = {"reason": "Ảnh không cho thấy thùng bị dập."}

    refused = await client.post(f"/seller/v1/returns/{ret['id']}/refuse", json=reason, headers=cod["key"])
    again = await client.post(f"/seller/v1/returns/{ret['id']}/refuse", json=reason, headers=cod["key"])
    late_accept = await client.post(f"/seller/v1/returns/{ret['id']}/accept", headers=cod["key"])

    assert refused.status_code == again.status_code == 200
    view = await _read(client, cod, operator, ret["id"])
    assert view["status"] == "refused" and view["refusal_reason"] == reason["reason"]
    assert late_accept.status_code == 409 and late_accept.json()["code"] == "illegal_transition"
    assert late_accept.json()["current_status"] == "refused"
    assert await _open_returns(cod["sor"]["id"]) == 1  # the buyer may still dispute: the seller order waits
    too_early = await client.post(f"/admin/v1/returns/{ret['id']}/decide", headers=bearer(operator),
                                  json={"decision": "accept", "reason": "x"})  # fmt: skip
    assert too_early.status_code == 409 and too_early.json()["code"] == "illegal_transition"

    disputed = await client.post(f"/api/v1/returns/{ret['id']}/dispute", headers=cod["buyer"]["headers"],
                                 json={"reason": "Trái bị dập bên trong, tôi có thêm ảnh."})  # fmt: skip

    assert disputed.status_code == 200 and disputed.json()["status"] == "disputed"
    assert disputed.json()["dispute_reason"] == "Trái bị dập bên trong, tôi có thêm ảnh."
    assert (await _read(client, cod, operator, ret["id"]))["status"] == "disputed"
    to_decide = await client.get("/admin/v1/returns", params={"status": "disputed"}, headers=bearer(operator))
    assert [item["id"] for item in to_decide.json()["data"]] == [ret["id"]]
    seller_accepts = await client.post(f"/seller/v1/returns/{ret['id']}/accept", headers=cod["key"])
    assert seller_accepts.status_code == 409

    decision = {"decision": "accept", "reason": "Ảnh thứ hai cho thấy trái dập."}
    decided = await client.post(f"/admin/v1/returns/{ret['id']}/decide", json=decision, headers=bearer(operator))
    repeated = await client.post(f"/admin/v1/returns/{ret['id']}/decide", json=decision, headers=bearer(operator))
    reversed_ = await client.post(f"/admin/v1/returns/{ret['id']}/decide", headers=bearer(operator),
                                  json={"decision": "refuse", "reason": "nhầm"})  # fmt: skip
    await worker()

    assert decided.status_code == repeated.status_code == 200
    view = await _read(client, cod, operator, ret["id"])
    assert view["status"] == "accepted" and view["decision_reason"] == decision["reason"]
    assert view["parcel"]["status"] == "pending"  # the operator's acceptance makes the return parcel, once
    assert reversed_.status_code == 409
    assert [step["to_status"] for step in view["history"]] == ["requested", "refused", "disputed", "accepted"]
    assert view["history"][-1]["actor"].startswith("operator:")
    audit = await fetch("SELECT actor, action, subject_id, reason FROM audit_event WHERE subject_type = 'return'")
    assert [(a["action"], a["subject_id"], a["reason"]) for a in audit] == [
        ("return.dispute_accepted", ret["id"], decision["reason"])]  # fmt: skip
    assert len(await fetch("SELECT 1 FROM parcel WHERE return_id = $1", ret["id"])) == 1
    for kind in ("return.refused", "return.disputed", "return.accepted"):
        assert await _events(kind) == 1, kind


async def test_an_operator_refuses_a_dispute_for_good_and_the_seller_order_may_complete(
    client: httpx.AsyncClient, operator: str, cod: dict[str, Any]
) -> None:
    ret = (await _open(client, cod)).json()
    await client.post(f"/seller/v1/returns/{ret['id']}/refuse", json={"reason": "Không thấy hư"}, headers=cod["key"])
    await client.post(f"/api/v1/returns/{ret['id']}/dispute", json={"reason": "Có hư"},
                      headers=cod["buyer"]["headers"])  # fmt: skip

    refused = await client.post(f"/admin/v1/returns/{ret['id']}/decide", headers=bearer(operator),
                                json={"decision": "refuse", "reason": "Ảnh chụp trước khi giao."})  # fmt: skip
    dispute_again = await client.post(f"/api/v1/returns/{ret['id']}/dispute", json={"reason": "Vẫn có hư"},
                                      headers=cod["buyer"]["headers"])  # fmt: skip

    assert refused.status_code == 200
    view = await _read(client, cod, operator, ret["id"])
    assert view["status"] == "closed" and view["decision_reason"] == "Ảnh chụp trước khi giao."
    assert view["refund"]["status"] == "not_requested" and view["parcel"] is None
    assert dispute_again.status_code == 409 and dispute_again.json()["code"] == "illegal_transition"
    assert await _open_returns(cod["sor"]["id"]) == 0
    audit = await fetch("SELECT action FROM audit_event WHERE subject_id = $1", ret["id"])
    assert [a["action"] for a in audit] == ["return.dispute_refused"]
    finals = await fetch(
        "SELECT payload->>'final' AS final FROM outbox_event WHERE type = 'return.refused' ORDER BY occurred_at"
    )
    assert [row["final"] for row in finals] == ["false", "true"]


async def test_a_refusal_not_disputed_within_the_window_closes(
    client: httpx.AsyncClient, operator: str, cod: dict[str, Any], settings: Settings
) -> None:
    ret = (await _open(client, cod)).json()
    await client.post(f"/seller/v1/returns/{ret['id']}/refuse", json={"reason": "Không thấy hư"}, headers=cod["key"])
    last_day = clock.today() + timedelta(days=settings.return_window_days)

    with clock.travel(timedelta(days=settings.return_window_days)):
        assert await jobs.close_undisputed() == 0  # still the last day to dispute
    with clock.travel(timedelta(days=settings.return_window_days + 1)):
        late = await client.post(f"/api/v1/returns/{ret['id']}/dispute", json={"reason": "Có hư"},
                                 headers=cod["buyer"]["headers"])  # fmt: skip
        closed = await jobs.close_undisputed()

    assert late.status_code == 409 and late.json()["code"] == "dispute_window_closed"
    assert late.json()["last_day"] == last_day.isoformat()
    assert closed == 1
    view = await _read(client, cod, operator, ret["id"])
    assert view["status"] == "closed" and view["history"][-1]["actor"] == "system"
    assert await _open_returns(cod["sor"]["id"]) == 0


async def test_the_window_is_counted_in_vietnamese_dates(
    client: httpx.AsyncClient, cod: dict[str, Any], settings: Settings
) -> None:
    assert settings.return_window_days == 3
    # Delivered at 00:30 on 2 December in Vietnam (still 1 December in UTC): returns are open until 5 December.
    delivered_at = datetime(2026, 12, 1, 17, 30, tzinfo=UTC)
    await fetch("UPDATE seller_order SET delivered_at = $2 WHERE id = $1", cod["sor"]["id"], delivered_at)

    with clock.frozen_at(datetime(2026, 12, 5, 17, 0, tzinfo=UTC)):  # 00:00 on 6 December in Vietnam
        late = await _open(client, cod)
    with clock.frozen_at(datetime(2026, 12, 5, 10, 0, tzinfo=UTC)):  # 17:00 on 5 December (a UTC rule refuses)
        in_time = await _open(client, cod)

    assert late.status_code == 409 and late.json()["code"] == "return_window_closed"
    assert late.json()["last_day"] == "2026-12-05"
    assert in_time.status_code == 201, in_time.text


async def test_a_return_is_for_delivered_lines_and_quantities_only(
    client: httpx.AsyncClient, operator: str, cod: dict[str, Any], shop: dict[str, Any]
) -> None:
    box_line = cod["box_line"]["id"]
    cases = [
        (_body(cod, lines=[{"line_id": "oln_nope", "quantity": 1}]), "lines[0].line_id", "unknown_line"),
        (_body(cod, quantity=3), "lines[0].quantity", "exceeds_delivered"),
        (_body(cod, lines=[{"line_id": box_line, "quantity": 1}] * 2), "lines[1].line_id", "duplicate_line"),
        (_body(cod, photos=["http://1.1.1.1/a.jpg"]), "photos[0]", "https_required"),
        (_body(cod, photos=["https://10.0.0.7/a.jpg"]), "photos[0]", "host_not_allowed"),
        (_body(cod, lines=[]), "lines", "out_of_range"),
        (_body(cod, reason_code="changed_my_mind"), "reason_code", "invalid_choice"),
        (_body(cod, refund_amount=1), "refund_amount", "unknown_field"),
    ]
    for body, field, code in cases:
        answer = await _open(client, cod, body)
        assert answer.status_code == 422, (field, answer.text)
        assert [(e["field"], e["code"]) for e in answer.json()["errors"]] == [(field, code)], answer.text
    no_key = await client.post(f"/api/v1/orders/{cod['order']['id']}/returns", json=_body(cod),
                               headers=cod["buyer"]["headers"])  # fmt: skip
    assert no_key.status_code == 400 and no_key.json()["code"] == "idempotency_key_missing"
    assert await fetch("SELECT id FROM order_return") == [] and await _open_returns(cod["sor"]["id"]) == 0

    first = await _open(client, cod, _body(cod, quantity=1))
    more = await _open(client, cod, _body(cod, quantity=2))
    last = await _open(client, cod, _body(cod, quantity=1))

    assert first.status_code == 201 and last.status_code == 201
    assert more.status_code == 422 and more.json()["errors"][0]["code"] == "exceeds_delivered"
    assert "At most 1" in more.json()["errors"][0]["message"]
    assert first.json()["refund"]["amount"] + last.json()["refund"]["amount"] == 600_000
    assert await _open_returns(cod["sor"]["id"]) == 2
    page = (await client.get("/admin/v1/returns", params={"limit": 1, "seller_id": cod["shop"]["seller"]["id"]},
                             headers=bearer(operator))).json()  # fmt: skip
    assert page["object"] == "list" and page["has_more"] and [r["id"] for r in page["data"]] == [last.json()["id"]]
    rest = await client.get("/admin/v1/returns", params={"limit": 1, "cursor": page["next_cursor"]},
                            headers=bearer(operator))  # fmt: skip
    assert [r["id"] for r in rest.json()["data"]] == [first.json()["id"]] and not rest.json()["has_more"]
    bad = await client.get("/admin/v1/returns", params={"cursor": "nope"}, headers=bearer(operator))
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"


async def test_only_a_delivered_seller_order_takes_a_return(
    client: httpx.AsyncClient, shop: dict[str, Any], settings: Settings
) -> None:
    box = variant_ids(shop["products"][0])[1]
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(box, 1)])
    order = (await checkout(client, buyer["headers"])).json()
    sor = order["seller_orders"][0]
    confirmed = {"buyer": buyer, "order": order, "sor": sor, "box_line": sor["lines"][0]}

    answer = await _open(client, confirmed)

    assert answer.status_code == 409 and answer.json()["code"] == "not_delivered"
    assert answer.json()["current_status"] == "confirmed"


async def test_the_same_key_replays_and_another_body_is_refused(
    client: httpx.AsyncClient, operator: str, cod: dict[str, Any]
) -> None:
    first = await _open(client, cod, key="ret-1")
    await client.post(f"/seller/v1/returns/{first.json()['id']}/accept", headers=cod["key"])
    replayed = await _open(client, cod, key="ret-1")
    other = await _open(client, cod, _body(cod, reason="Khác"), key="ret-1")

    assert first.status_code == replayed.status_code == 201
    assert replayed.headers["idempotent-replayed"] == "true" and replayed.json() == first.json()
    assert other.status_code == 422 and other.json()["code"] == "idempotency_key_reused"
    listed = await client.get(f"/api/v1/orders/{cod['order']['id']}/returns", headers=cod["buyer"]["headers"])
    assert [item["id"] for item in listed.json()["data"]] == [first.json()["id"]]
    assert await _open_returns(cod["sor"]["id"]) == 1 and await _events("return.requested") == 1


async def test_another_buyers_or_sellers_return_is_not_found(
    client: httpx.AsyncClient, operator: str, cod: dict[str, Any]
) -> None:
    ret = (await _open(client, cod)).json()
    stranger = await mobile_buyer(client)
    other_shop = await seller_with_products(client, operator, [])
    other_key = bearer(other_shop["key"])
    reason = {"reason": "không phải của tôi"}

    answers = [
        await client.get(f"/api/v1/returns/{ret['id']}", headers=stranger["headers"]),
        await client.post(f"/api/v1/returns/{ret['id']}/dispute", json=reason, headers=stranger["headers"]),
        await client.get(f"/api/v1/orders/{cod['order']['id']}/returns", headers=stranger["headers"]),
        await _open(client, cod, headers=stranger["headers"]),
        await client.get(f"/seller/v1/returns/{ret['id']}", headers=other_key),
        await client.post(f"/seller/v1/returns/{ret['id']}/accept", headers=other_key),
        await client.post(f"/seller/v1/returns/{ret['id']}/refuse", json=reason, headers=other_key),
    ]

    assert [answer.status_code for answer in answers] == [404] * len(answers)
    assert (await client.get("/seller/v1/returns", headers=other_key)).json()["data"] == []
    by_seller = await client.get("/admin/v1/returns", params={"seller_id": other_shop["seller"]["id"]},
                                 headers=bearer(operator))  # fmt: skip
    assert by_seller.json()["data"] == []
    assert (await _read(client, cod, operator, ret["id"]))["status"] == "requested"
    nobody = await client.get(f"/api/v1/returns/{ret['id']}")
    assert nobody.status_code == 401


async def test_racing_returns_never_return_more_than_was_delivered(
    client: httpx.AsyncClient, operator: str, cod: dict[str, Any]
) -> None:
    same_key = await asyncio.gather(*(_open(client, cod, _body(cod, quantity=2), key="same") for _ in range(5)))
    assert sorted({answer.status_code for answer in same_key}) in ([201], [201, 409])
    assert len({answer.json()["id"] for answer in same_key if answer.status_code == 201}) == 1

    kg_line = cod["kg_line"]["id"]
    many = await asyncio.gather(*(_open(client, cod, _body(cod, lines=[{"line_id": kg_line, "quantity": 2}]))
                                  for _ in range(6)))  # fmt: skip

    assert sorted(answer.status_code for answer in many) == [201] + [422] * 5
    assert {a.json()["errors"][0]["code"] for a in many if a.status_code == 422} == {"exceeds_delivered"}
    assert len(await fetch("SELECT id FROM order_return")) == 2 and await _open_returns(cod["sor"]["id"]) == 2


async def test_a_parked_return_parcel_is_listed_and_retried_by_operators(
    client: httpx.AsyncClient, operator: str, cod: dict[str, Any], carrier_sim: CarrierSim, worker: Drain
) -> None:
    ret = (await _open(client, cod)).json()
    await client.post(f"/seller/v1/returns/{ret['id']}/accept", headers=cod["key"])
    await worker()
    carrier_sim.faults(mode="down")
    for _ in range(shipping.MAX_ATTEMPTS):
        await fetch("UPDATE parcel SET next_attempt_at = now() WHERE status = 'pending'")
        await handoff_once(cod["carrier"])
    assert (await _read(client, cod, operator, ret["id"]))["parcel"]["status"] == "parked"

    parked = await client.get("/admin/v1/parcels", params={"status": "parked"}, headers=bearer(operator))
    assert parked.status_code == 200, parked.text
    (item,) = parked.json()["data"]
    carrier_sim.faults(mode="ok")
    retried = await client.post(f"/admin/v1/parcels/{item['id']}/retry", headers=bearer(operator))

    assert retried.status_code == 200, retried.text
    assert retried.json()["status"] == "pending"
    await handoff_once(cod["carrier"])
    assert (await _read(client, cod, operator, ret["id"]))["parcel"]["status"] == "created"


async def test_a_return_parcel_that_never_reaches_the_seller_closes_the_return(
    client: httpx.AsyncClient, operator: str, cod: dict[str, Any], carrier_sim: CarrierSim, worker: Drain
) -> None:
    box = cod["box"]
    ret = (await _open(client, cod)).json()
    await client.post(f"/seller/v1/returns/{ret['id']}/accept", headers=cod["key"])
    await worker()
    await handoff_once(cod["carrier"])
    carrier_sim.call("/_sim/path", {"order_code": ret["id"], "ends": "returned"})

    await _advance(client, carrier_sim, ret["id"], 5)  # ... delivery failed, brought back to the buyer
    await worker()

    view = await _read(client, cod, operator, ret["id"])
    assert view["status"] == "closed" and view["parcel"]["status"] == "returned"
    assert view["refund"]["status"] == "not_requested" and (await levels([box]))[box].on_hand == 6
    assert await _open_returns(cod["sor"]["id"]) == 0  # the seller order may complete
