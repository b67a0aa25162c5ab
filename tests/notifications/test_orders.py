"""Order messages, read back from the real local SMTP server and the ZNS and SMS simulators."""

from __future__ import annotations

from typing import Any

import httpx

from market.settings import Settings
from tests.fakes.carrier import CarrierSim
from tests.fakes.notify import NotifySims
from tests.notify_flow import of_kind, one_box, one_box_packed, settle
from tests.orders_flow import Drain, ship


async def test_a_new_order_reaches_the_buyer_by_zalo_and_the_seller_by_email(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, notify_sims: NotifySims, worker: Drain
) -> None:
    placed = await one_box(client, shop, operator)
    rows = await settle(worker)

    (zns,) = [m for m in notify_sims.zns_messages() if m["template_id"] == "310100"]
    assert zns["phone"] == "84912345678"
    assert zns["template_data"]["order_code"] == placed.id
    assert zns["template_data"]["amount"].endswith("₫")
    assert "http" not in zns["text"]
    (mail,) = [m for m in notify_sims.emails() if m["headers"]["X-Market-Kind"] == "seller_new_order"]
    assert mail["to"] == shop["seller"]["email"]
    assert placed.id in mail["subject"] and "Đơn hàng mới" in mail["subject"]
    assert f"https://cho.example.vn/seller/orders/{placed.seller_orders[0]['id']}" in mail["text"]
    assert "Chợ Nông Sản Tây Ninh" in mail["html"]
    assert "List-Unsubscribe" not in mail["headers"]  # a new order is not optional

    (buyer_row,) = of_kind(rows, "order_placed")
    assert buyer_row["status"] == "sent" and buyer_row["address"] is None
    assert buyer_row["address_masked"] == "84912***678"
    assert buyer_row["provider_message_id"] == zns["msg_id"]


async def test_a_delivered_parcel_tells_the_buyer_each_step_with_its_tracking_code(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, settings: Settings, carrier_sim: CarrierSim,
    notify_sims: NotifySims, worker: Drain,
) -> None:  # fmt: skip
    placed, sor = await one_box_packed(client, shop, operator)
    await ship(client, sor["id"], settings, carrier_sim, worker)
    await settle(worker)

    sent = {m["template_id"]: m for m in notify_sims.zns_messages()}
    packed, handed, on_way, delivered = (sent[t] for t in ("310120", "310130", "310140", "310150"))
    assert packed["template_data"]["shop_name"] == shop["seller"]["display_name"]
    tracking = handed["template_data"]["tracking_code"]
    assert tracking.endswith("VN") and on_way["template_data"]["tracking_code"] == tracking
    assert delivered["template_data"]["order_code"] == placed.id


async def test_a_failed_then_returned_parcel_tells_the_buyer_and_the_seller(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, settings: Settings, carrier_sim: CarrierSim,
    notify_sims: NotifySims, worker: Drain,
) -> None:  # fmt: skip
    placed, sor = await one_box_packed(client, shop, operator)
    await ship(client, sor["id"], settings, carrier_sim, worker, ends="returned")
    await settle(worker)

    sent = {m["template_id"]: m for m in notify_sims.zns_messages()}
    assert sent["310160"]["template_data"]["order_code"] == placed.id  # delivery failed
    assert sent["310170"]["template_data"]["order_code"] == placed.id  # returned
    (problem,) = [m for m in notify_sims.emails() if m["headers"]["X-Market-Kind"] == "seller_parcel_problem"]
    assert placed.id in problem["subject"] and "giao hàng không thành công" in problem["text"]
