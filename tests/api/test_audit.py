"""The operators' audit trail: every operator action is in `GET /admin/v1/audit-events`, with who, why and the
facts, filtered and paged; nobody but an operator reads it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

import httpx

from market.core import clock
from market.core.db import fetch
from market.operators.service import operator_for_token
from market.orders import service as orders
from market.settings import Settings
from tests.api.test_payments import card_order, deliver
from tests.buyers import mobile_buyer, seller_with_products
from tests.factories import (
    active_product,
    api_key,
    bearer,
    operator_token,
    product_body,
    registered_seller,
    seller_body,
)
from tests.fakes.stripe import FakeStripe
from tests.shoppers import checkout, fill_cart, variant_ids

Drain = Callable[[], Awaitable[None]]


async def events_of(client: httpx.AsyncClient, operator: str, **params: Any) -> list[dict[str, Any]]:
    response = await client.get("/admin/v1/audit-events", params=params, headers=bearer(operator))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["object"] == "list"
    data: list[dict[str, Any]] = body["data"]
    return data


async def actor_of(operator: str) -> str:
    return f"operator:{await operator_for_token(operator)}"


async def test_seller_verification_is_audited_with_actor_reason_and_details(
    client: httpx.AsyncClient, operator: str
) -> None:
    seller_id = (await registered_seller(client))["seller"]["id"]
    headers = bearer(operator)
    assert (await client.post(f"/admin/v1/sellers/{seller_id}/approve", headers=headers)).status_code == 200
    suspend = await client.post(f"/admin/v1/sellers/{seller_id}/suspend", json={"reason": "Hàng giả"}, headers=headers)
    assert suspend.status_code == 200
    reinstate = await client.post(
        f"/admin/v1/sellers/{seller_id}/reinstate", json={"reason": "Giấy tờ đã xác minh"}, headers=headers
    )
    assert reinstate.status_code == 200, reinstate.text

    events = await events_of(client, operator, subject_id=seller_id)
    actor = await actor_of(operator)
    assert [(e["action"], e["actor"], e["reason"]) for e in events] == [
        ("seller.reinstated", actor, "Giấy tờ đã xác minh"),
        ("seller.suspended", actor, "Hàng giả"),
        ("seller.approved", actor, None),
    ]
    assert events[0]["details"] == {"from_status": "suspended", "to_status": "approved"}
    assert all(e["id"].startswith("aud_") and e["object"] == "audit_event" for e in events)
    assert all(e["subject_type"] == "seller" and e["at"].endswith("Z") for e in events)


async def test_an_action_that_fails_leaves_no_audit_event(client: httpx.AsyncClient, operator: str) -> None:
    seller_id = (await registered_seller(client))["seller"]["id"]
    illegal = await client.post(
        f"/admin/v1/sellers/{seller_id}/reinstate", json={"reason": "nhầm"}, headers=bearer(operator)
    )
    assert illegal.status_code == 409
    assert await events_of(client, operator, subject_id=seller_id) == []


async def test_registering_a_household_on_its_behalf_is_audited(client: httpx.AsyncClient, operator: str) -> None:
    body = seller_body(
        kind="household", tax_code=None, email=None, owner={"identifier": "0912 345 001", "name": "Bà Sáu"}
    )
    created = await client.post("/admin/v1/sellers/", json=body, headers=bearer(operator))
    assert created.status_code == 201, created.text
    events = await events_of(client, operator, action="seller.registered")
    assert [(e["subject_id"], e["actor"]) for e in events] == [
        (created.json()["seller"]["id"], await actor_of(operator))
    ]
    assert events[0]["details"]["invitation_id"] == created.json()["owner_invitation"]["id"]


async def test_product_moderation_is_audited(client: httpx.AsyncClient, seller: dict[str, Any], operator: str) -> None:
    key, headers = seller["key"], bearer(operator)
    draft = (await client.post("/seller/v1/products", json=product_body(), headers=bearer(key))).json()
    await client.post(f"/seller/v1/products/{draft['id']}/submit", headers=bearer(key))
    await client.post(f"/admin/v1/products/{draft['id']}/reject", json={"reason": "Ảnh mờ"}, headers=headers)
    await client.post(f"/seller/v1/products/{draft['id']}/submit", headers=bearer(key))
    await client.post(f"/admin/v1/products/{draft['id']}/approve", headers=headers)
    down = await client.post(
        f"/admin/v1/products/{draft['id']}/take-down", json={"reason": "Nhãn sai xuất xứ"}, headers=headers
    )
    assert down.status_code == 200, down.text
    back = await client.post(
        f"/admin/v1/products/{draft['id']}/reinstate", json={"reason": "Đã kiểm tra lại"}, headers=headers
    )
    assert back.status_code == 200, back.text

    events = await events_of(client, operator, subject_type="product", subject_id=draft["id"])
    assert [(e["action"], e["reason"]) for e in events] == [
        ("product.reinstated", "Đã kiểm tra lại"),
        ("product.taken_down", "Nhãn sai xuất xứ"),
        ("product.approved", None),
        ("product.rejected", "Ảnh mờ"),
    ]
    assert events[1]["details"] == {
        "seller_id": seller["seller"]["id"], "from_status": "active", "to_status": "taken_down"
    }  # fmt: skip
    assert {e["actor"] for e in events} == {await actor_of(operator)}


async def test_an_operator_refund_is_audited_once(
    client: httpx.AsyncClient, operator: str, categories: None, stripe_fake: FakeStripe, settings: Settings,
    worker: Drain,
) -> None:  # fmt: skip
    shop = await seller_with_products(client, operator, [{}])
    placed = await card_order(client, shop, [(0, 2)])
    order_id = placed["order"]["id"]
    for event in stripe_fake.succeed(placed["intent_id"]):
        await deliver(client, settings, event)
    await worker()
    headers = {**bearer(operator), "Idempotency-Key": "refund-audit-1"}
    body = {"reason": "Trái dập", "amount": 20_000}
    first = await client.post(f"/admin/v1/orders/{order_id}/refunds", json=body, headers=headers)
    replay = await client.post(f"/admin/v1/orders/{order_id}/refunds", json=body, headers=headers)
    assert first.status_code == 201, first.text
    assert replay.json()["id"] == first.json()["id"]

    events = await events_of(client, operator, action="refund.requested")
    assert [(e["subject_type"], e["subject_id"], e["reason"], e["actor"]) for e in events] == [
        ("order", order_id, "Trái dập", await actor_of(operator))
    ]
    assert events[0]["details"] == {"refund_id": first.json()["id"], "amount": 20_000, "seller_order_id": None}


async def test_filters_and_cursors(client: httpx.AsyncClient, operator: str) -> None:
    other = await operator_token()
    sellers = [(await registered_seller(client))["seller"]["id"] for _ in range(5)]
    days = [datetime(2026, 11, day, 3, 0, tzinfo=UTC) for day in (20, 21, 22, 23, 24)]
    for index, (seller_id, day) in enumerate(zip(sellers, days, strict=True)):
        with clock.frozen_at(day):
            approved = await client.post(
                f"/admin/v1/sellers/{seller_id}/approve", headers=bearer(other if index == 4 else operator)
            )
            assert approved.status_code == 200
    with clock.frozen_at(days[4]):
        await client.post(f"/admin/v1/sellers/{sellers[0]}/suspend", json={"reason": "Kiểm tra"},
                          headers=bearer(operator))  # fmt: skip

    everything = await events_of(client, operator)
    assert len(everything) == 6
    by_other = await events_of(client, operator, actor=await actor_of(other))
    assert [e["subject_id"] for e in by_other] == [sellers[4]]
    suspended = await events_of(client, operator, action="seller.suspended")
    assert [e["subject_id"] for e in suspended] == [sellers[0]]
    window = await events_of(client, operator, since="2026-11-21T00:00:00Z", until="2026-11-23T00:00:00Z")
    assert [e["subject_id"] for e in window] == [sellers[2], sellers[1]]
    assert await events_of(client, operator, subject_type="product") == []

    walked: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        page = (await client.get("/admin/v1/audit-events", params=params, headers=bearer(operator))).json()
        walked += [e["id"] for e in page["data"]]
        cursor = page["next_cursor"]
        if not page["has_more"]:
            assert cursor is None
            break
    assert walked == [e["id"] for e in everything]

    bad_cursor = await client.get("/admin/v1/audit-events", params={"cursor": "nope"}, headers=bearer(operator))
    assert bad_cursor.status_code == 400 and bad_cursor.json()["code"] == "invalid_cursor"
    not_ours = await client.get("/admin/v1/audit-events", params={"cursor": "WyJ4Il0"}, headers=bearer(operator))
    assert not_ours.status_code == 400 and not_ours.json()["code"] == "invalid_cursor"
    backwards = await client.get("/admin/v1/audit-events", params={"since": "2026-11-23T00:00:00Z",
                                 "until": "2026-11-21T00:00:00Z"}, headers=bearer(operator))  # fmt: skip
    assert backwards.status_code == 422
    assert [(e["field"], e["code"]) for e in backwards.json()["errors"]] == [("until", "invalid_range")]
    not_a_time = await client.get("/admin/v1/audit-events", params={"since": "yesterday"}, headers=bearer(operator))
    assert not_a_time.status_code == 422 and not_a_time.json()["errors"][0]["field"] == "since"
    too_many = await client.get("/admin/v1/audit-events", params={"limit": 101}, headers=bearer(operator))
    assert too_many.status_code == 422 and too_many.json()["errors"][0]["field"] == "limit"


async def test_only_operators_read_the_trail(client: httpx.AsyncClient, operator: str, categories: None) -> None:
    created = await registered_seller(client, approve_with=operator)
    key = await api_key(client, created["session"])
    buyer = await mobile_buyer(client)
    await active_product(client, key, operator)
    for headers in ({}, bearer(created["session"]), bearer(key), buyer["headers"], bearer("mko_forged")):
        response = await client.get("/admin/v1/audit-events", headers=headers)
        assert response.status_code == 401, headers
        assert response.json()["code"] == "not_authenticated"
        assert "aud_" not in response.text


async def test_operator_cancels_and_refunds_of_seller_orders_are_audited(
    client: httpx.AsyncClient, operator: str, categories: None
) -> None:
    shop = await seller_with_products(client, operator, [{}])
    kg, box = variant_ids(shop["products"][0])
    buyer = await mobile_buyer(client)
    placed = []
    for variant in (kg, box):
        await fill_cart(client, buyer["headers"], [(variant, 1)])
        response = await checkout(client, buyer["headers"])
        assert response.status_code == 201, response.text
        placed.append(response.json()["seller_orders"][0])
    cancelled, delivered = placed[0]["id"], placed[1]["id"]
    ops = bearer(operator)
    cancel = await client.post(f"/admin/v1/seller-orders/{cancelled}/cancel", json={"reason": "Hàng hỏng"}, headers=ops)
    assert cancel.status_code == 200, cancel.text
    # Delivered and its cash collected by the carrier (as the carrier's webhook records it).
    await fetch("UPDATE seller_order SET status = 'delivered', delivered_at = now() WHERE id = $1", delivered)
    assert await orders.record_cod_collected(delivered, placed[1]["cod_amount"], "EJ000000001VN")
    refund = await client.post(f"/admin/v1/seller-orders/{delivered}/refund", json={"reason": "Trái dập"}, headers=ops)
    assert refund.status_code == 200, refund.text

    events = await events_of(client, operator, subject_type="seller_order")
    actor = await actor_of(operator)
    assert [(e["action"], e["subject_id"], e["reason"], e["actor"]) for e in events] == [
        ("seller_order.refunded", delivered, "Trái dập", actor),
        ("seller_order.cancelled", cancelled, "Hàng hỏng", actor),
    ]
    assert events[0]["details"]["amount"] == placed[1]["total"]
