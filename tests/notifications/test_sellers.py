"""Seller messages (and the buyer's that follow a seller's or operator's decision), read from the real local SMTP
server: moderation, cancellations, refunds, returns, low stock, certifications, parked parcels, payouts and
disabled webhook endpoints (the last two by recording the events the payouts and webhooks tracks emit)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from market.core import clock
from market.core.db import fetch, transaction
from market.core.outbox.service import record
from market.notifications.jobs import warn_expiring_certifications
from market.settings import Settings
from market.shipping.jobs import handoff_once
from market.shipping.registry import carrier_for
from tests.buyers import seller_with_products
from tests.factories import bearer
from tests.fakes.carrier import CarrierSim
from tests.fakes.notify import NotifySims
from tests.notify_flow import of_kind, one_box, one_box_packed, settle
from tests.orders_flow import Drain, place, ship
from tests.shoppers import variant_ids


def mails(sims: NotifySims, kind: str) -> list[dict[str, Any]]:
    return [m for m in sims.emails() if m["headers"].get("X-Market-Kind") == kind]


def zns(sims: NotifySims, template_id: str) -> list[dict[str, Any]]:
    return [m for m in sims.zns_messages() if m["template_id"] == template_id]


async def test_rejected_and_taken_down_products_tell_the_seller_why(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, notify_sims: NotifySims, worker: Drain
) -> None:
    product = shop["products"][0]
    taken = await client.post(f"/admin/v1/products/{product['id']}/take-down", headers=bearer(operator),
                              json={"reason": "Ảnh sản phẩm không đúng thực tế"})  # fmt: skip
    assert taken.status_code == 200, taken.text
    created = await client.post("/seller/v1/products", headers=bearer(shop["key"]), json={
        **_body(product), "name": "Khóm Bến Lức"})  # fmt: skip
    assert created.status_code == 201, created.text
    new_id = created.json()["id"]
    assert (await client.post(f"/seller/v1/products/{new_id}/submit", headers=bearer(shop["key"]))).status_code == 200
    rejected = await client.post(f"/admin/v1/products/{new_id}/reject", headers=bearer(operator),
                                 json={"reason": "Thiếu giấy chứng nhận VietGAP"})  # fmt: skip
    assert rejected.status_code == 200, rejected.text
    rows = await settle(worker)
    assert {row["kind"]: row["status"] for row in rows if row["kind"].startswith("seller_product")} == {
        "seller_product_taken_down": "sent",
        "seller_product_rejected": "sent",
    }, rows

    (down,) = mails(notify_sims, "seller_product_taken_down")
    assert product["name"] in down["subject"] and "Ảnh sản phẩm không đúng thực tế" in down["text"]
    (refused,) = mails(notify_sims, "seller_product_rejected")
    assert "Khóm Bến Lức" in refused["subject"] and "Thiếu giấy chứng nhận VietGAP" in refused["text"]
    assert refused["to"] == shop["seller"]["email"]


def _body(product: dict[str, Any]) -> dict[str, Any]:
    from tests.factories import product_body

    return product_body()


async def test_a_buyer_cancelling_tells_the_seller_but_the_seller_cancelling_does_not(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, notify_sims: NotifySims, worker: Drain
) -> None:
    placed = await one_box(client, shop, operator)
    (sor,) = placed.seller_orders
    answer = await client.post(f"/api/v1/orders/{placed.id}/seller-orders/{sor['id']}/cancel",
                               headers=placed.buyer["headers"], json={"reason": "Đặt nhầm số lượng"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    other = await one_box(client, shop, operator)
    answer = await client.post(f"/seller/v1/orders/{other.seller_orders[0]['id']}/cancel",
                               headers=bearer(shop["key"]), json={"reason": "Hết hàng"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    await settle(worker)

    (cancelled,) = mails(notify_sims, "seller_order_cancelled")
    assert placed.id in cancelled["subject"] and "Đặt nhầm số lượng" in cancelled["text"]


async def test_an_operator_refund_tells_the_buyer(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, settings: Settings, carrier_sim: CarrierSim,
    notify_sims: NotifySims, worker: Drain,
) -> None:  # fmt: skip
    placed, sor = await one_box_packed(client, shop, operator)
    await ship(client, sor["id"], settings, carrier_sim, worker)
    refunded = await client.post(f"/admin/v1/seller-orders/{sor['id']}/refund", headers=bearer(operator),
                                 json={"reason": "Hàng dập"})  # fmt: skip
    assert refunded.status_code == 200, refunded.text
    await settle(worker)

    (message,) = zns(notify_sims, "310180")
    assert message["template_data"]["order_code"] == placed.id
    assert message["template_data"]["amount"] == f"{sor['total']:,}".replace(",", ".") + " ₫"


async def test_return_decisions_and_return_refunds_tell_the_buyer(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, notify_sims: NotifySims, worker: Drain
) -> None:
    placed = await one_box(client, shop, operator)
    (sor,) = placed.seller_orders
    facts = {"seller_order_id": sor["id"], "order_id": placed.id, "seller_id": shop["seller"]["id"]}
    async with transaction():
        await record("return.accepted", {"return_id": "ret_accepted", **facts, "actor": "seller:x"})
        await record("return.refused", {"return_id": "ret_refused", **facts, "actor": "seller:x",
                                        "reason": "Hàng đã qua sử dụng", "final": False})  # fmt: skip
        await record("return.refunded", {"return_id": "ret_accepted", **facts, "refund_id": "ref_1",
                                         "amount": 150000, "method": "cod_bank_transfer"})  # fmt: skip
    await settle(worker)

    decided = {m["template_data"]["decision"] for m in zns(notify_sims, "310190")}
    assert decided == {"chấp nhận", "từ chối"}
    (refund,) = zns(notify_sims, "310180")
    assert refund["template_data"]["amount"] == "150.000 ₫"


async def test_low_stock_is_told_once_per_fall_below_the_threshold(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, notify_sims: NotifySims, worker: Drain
) -> None:
    _kg, box = variant_ids(shop["products"][0])  # 8 boxes in stock
    put = await client.put(f"/seller/v1/variants/{box}/low-stock-threshold", headers=bearer(shop["key"]),
                           json={"threshold": 5})  # fmt: skip
    assert put.status_code == 200, put.text
    assert put.json() | {"threshold": 5, "available": 8, "below": False} == put.json()
    await place(client, [shop], [(box, 2)], operator)  # 6 left: above
    await settle(worker)
    assert mails(notify_sims, "seller_low_stock") == []
    await place(client, [shop], [(box, 1)], operator)  # 5 left: at the threshold
    await place(client, [shop], [(box, 1)], operator)  # 4 left: still below, no second message
    await settle(worker)

    (low,) = mails(notify_sims, "seller_low_stock")
    assert "còn 5 sản phẩm" in low["text"] or "còn 4 sản phẩm" in low["text"]
    listed = await client.get("/seller/v1/low-stock-thresholds", headers=bearer(shop["key"]))
    assert listed.json()["data"][0] | {"variant_id": box, "below": True} == listed.json()["data"][0]
    other = await seller_with_products(client, operator, [{}])
    foreign = await client.put(f"/seller/v1/variants/{box}/low-stock-threshold", headers=bearer(other["key"]),
                               json={"threshold": 1})  # fmt: skip
    assert foreign.status_code == 404
    bad = await client.put(f"/seller/v1/variants/{box}/low-stock-threshold", headers=bearer(shop["key"]),
                           json={"threshold": -1})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "threshold"


async def test_a_certification_ending_within_30_days_is_told_once(
    shop: dict[str, Any], notify_sims: NotifySims, worker: Drain
) -> None:
    product_id = shop["products"][0]["id"]
    ends = clock.today() + timedelta(days=30)
    await fetch("UPDATE certification SET valid_until = $2 WHERE product = $1 AND type = 'vietgap'", product_id, ends)
    assert await warn_expiring_certifications({}) == 1
    assert await warn_expiring_certifications({}) == 0  # the next day's run (or a rerun) tells nothing twice
    await settle(worker)

    (notice,) = mails(notify_sims, "seller_certification_expiring")
    assert ends.strftime("%d/%m/%Y") in notice["text"] and "vietgap" in notice["subject"]
    assert "List-Unsubscribe" in notice["headers"]  # optional: it can be turned off


async def test_a_parked_parcel_tells_its_seller(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, settings: Settings, carrier_sim: CarrierSim,
    notify_sims: NotifySims, worker: Drain,
) -> None:  # fmt: skip
    placed, sor = await one_box_packed(client, shop, operator)
    await worker()  # the parcel is opened
    await fetch("UPDATE parcel SET attempts = 7 WHERE seller_order_id = $1", sor["id"])
    carrier_sim.faults(mode="down")
    carrier = carrier_for(settings)
    assert carrier is not None
    await handoff_once(carrier)
    carrier_sim.faults(mode="ok")
    assert (await fetch("SELECT status FROM parcel WHERE seller_order_id = $1", sor["id"]))[0]["status"] == "parked"
    await settle(worker)

    (problem,) = mails(notify_sims, "seller_parcel_problem")
    assert placed.id in problem["subject"] and "chưa tạo được vận đơn" in problem["text"]


async def test_payouts_and_disabled_webhook_endpoints_tell_the_seller(
    shop: dict[str, Any], notify_sims: NotifySims, worker: Drain
) -> None:
    seller_id = shop["seller"]["id"]
    async with transaction():
        await record("payout.paid", {"payout_id": "pol_1", "batch_id": "pob_1", "seller_id": seller_id,
                                     "amount": 1_250_000, "reference": "MARKET PAYOUT 20261202"})  # fmt: skip
        await record("webhook_endpoint.disabled", {"endpoint_id": "whe_1", "seller_id": seller_id,
                                                   "url": "https://hooks.htx.vn/market"})  # fmt: skip
    rows = await settle(worker)

    (payout,) = mails(notify_sims, "seller_payout_sent")
    assert "1.250.000 ₫" in payout["subject"] and "MARKET PAYOUT 20261202" in payout["text"]
    (disabled,) = mails(notify_sims, "seller_webhook_disabled")
    assert "hooks.htx.vn" in disabled["subject"] and "https://hooks.htx.vn/market" in disabled["text"]
    assert {row["status"] for row in of_kind(rows, "seller_payout_sent")} == {"sent"}
