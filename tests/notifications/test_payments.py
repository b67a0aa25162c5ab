"""Payment received: a card order paid at (the fake) Stripe, and a bank transfer's `order.paid` (track banktransfer
confirms through `orders.confirm_payment` as card does; here the event is recorded as that track will)."""

from __future__ import annotations

from typing import Any

import httpx

from market.core.db import fetch, transaction
from market.core.outbox.service import record
from market.settings import Settings
from tests.fakes.notify import NotifySims
from tests.fakes.stripe import FakeStripe
from tests.notify_flow import one_box, settle
from tests.orders_flow import Drain, pay


async def test_a_card_payment_tells_the_buyer_and_lets_the_seller_pack(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, settings: Settings, stripe_fake: FakeStripe,
    notify_sims: NotifySims, worker: Drain,
) -> None:  # fmt: skip
    placed = await one_box(client, shop, operator, payment_method="card")
    await settle(worker)
    (new,) = [m for m in notify_sims.emails() if m["headers"]["X-Market-Kind"] == "seller_new_order"]
    assert "chờ người mua thanh toán" in new["text"]  # a card order awaits its payment

    await pay(client, placed, settings, stripe_fake, worker)
    await settle(worker)
    (paid,) = [m for m in notify_sims.zns_messages() if m["template_id"] == "310110"]
    assert paid["template_data"]["order_code"] == placed.id
    (seller,) = [m for m in notify_sims.emails() if m["headers"]["X-Market-Kind"] == "seller_payment_received"]
    assert placed.id in seller["subject"] and "đóng gói" in seller["text"]


async def test_a_recorded_payment_goes_by_the_channel_the_buyer_chose(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, notify_sims: NotifySims, worker: Drain
) -> None:
    placed = await one_box(client, shop, operator)
    await settle(worker)
    buyer = placed.buyer["account"]["id"]
    changed = await client.patch("/api/v1/me/notification-preferences", headers=placed.buyer["headers"],
                                 json={"channels": {"payment_received": ["email"]}})  # fmt: skip
    assert changed.status_code == 200, changed.text
    # orders.payment_method is varchar(8) on main: track banktransfer widens it for 'bank_transfer'; the wording
    # of a bank transfer is checked on the template (tests/unit/test_notification_templates.py).
    async with transaction():
        await record("order.paid", {"order_id": placed.id, "amount": placed.order["total"]})
    await settle(worker)

    (mail,) = [m for m in notify_sims.emails() if m["headers"]["X-Market-Kind"] == "payment_received"]
    assert mail["to"] == "hoa@example.vn" and placed.id in mail["subject"]
    assert "List-Unsubscribe" not in mail["headers"]  # a payment is not optional
    rows = await fetch("SELECT channel, recipient FROM notification_delivery WHERE kind = 'payment_received'")
    assert [(row["channel"], row["recipient"]) for row in rows] == [("email", buyer)]
