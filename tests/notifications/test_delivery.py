"""Delivery that loses nothing and repeats nothing: a provider down for an hour, refusals falling back to the next
channel, parking after N failures and the operators' retry, leases after a crash, and no send inside a
transaction. The sender is driven by hand (`send_once`) with the clock set by the test."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import httpx
import pytest

from market.core import clock
from market.core.db import fetch, transaction
from market.core.events import Event
from market.notifications import jobs
from market.notifications.delivery import Senders, build_senders, send_once
from market.notifications.service import Contact, queue
from market.settings import Settings
from tests.factories import bearer
from tests.fakes.notify import NotifySims

BUYER = Contact("cus_test_buyer", "buyer", "+84912345678", "hoa@example.vn")
SELLER = Contact("sel_test_seller", "seller", "+84987654321", "htx@example.vn")
DATA = {
    "order_code": "ord_01m8thgeehvg67brnw7r3ry7zh",
    "amount": "125.000 ₫",
    "link": "https://cho.example.vn/x",
    "shop_name": "HTX Bà Đen",
    "pending_payment": False,
    "reference": "PAYOUT 1",
}


@pytest.fixture
async def senders(settings: Settings) -> AsyncIterator[Senders]:
    built = build_senders(settings)
    yield built
    await built.close()


async def rows() -> list[dict[str, Any]]:
    return [dict(row) for row in await fetch("SELECT * FROM notification_delivery ORDER BY created_at, id")]


async def _queue(settings: Settings, event_id: str, kind: str, contact: Contact) -> str:
    async with transaction():
        queued = await queue(settings, event_id, kind, contact, DATA, None)
    assert queued is not None
    return queued


async def test_a_provider_down_for_an_hour_delays_the_message_and_never_drops_it(
    settings: Settings, senders: Senders, notify_sims: NotifySims
) -> None:
    await _queue(settings, "evt_down", "order_placed", BUYER)
    notify_sims.zns.call("/_sim/faults", {"down": True})
    start = clock.now()
    for minute in range(0, 66, 3):
        with clock.frozen_at(start + timedelta(minutes=minute)):
            await send_once(senders, settings)
        (row,) = await rows()
        assert row["status"] == "queued" and row["channel"] == "zns", row  # waiting, not parked nor fallen back
    assert row["attempts"] >= 5 and "503" in row["last_error"]
    notify_sims.zns.call("/_sim/faults", {"down": False})
    with clock.frozen_at(start + timedelta(hours=3)):
        await send_once(senders, settings)
    (row,) = await rows()
    assert row["status"] == "sent" and row["address"] is None
    (message,) = notify_sims.zns_messages()
    assert message["msg_id"] == row["provider_message_id"] and message["tracking_id"] == row["id"]


async def test_a_refusal_falls_back_from_zalo_to_sms_then_to_email(
    settings: Settings, senders: Senders, notify_sims: NotifySims
) -> None:
    await _queue(settings, "evt_fallback", "order_placed", BUYER)
    notify_sims.zns.call("/_sim/faults", {"unreachable": ["84912345678"]})  # no Zalo account
    notify_sims.sms.call("/_sim/faults", {"down": False})
    await send_once(senders, settings)
    await send_once(senders, settings)
    zns, sms = await rows()
    assert (zns["channel"], zns["status"], zns["address"]) == ("zns", "failed", None)
    assert "-118" in zns["last_error"]
    assert (sms["channel"], sms["status"], sms["event_id"]) == ("sms", "sent", "evt_fallback")
    (text,) = notify_sims.sms_messages()
    assert text["to"] == "84912345678" and DATA["order_code"] in text["text"] and text["type"] == "transactional"
    assert text["text"].isascii()


async def test_a_message_failing_n_times_is_parked_and_an_operator_retries_it(
    client: httpx.AsyncClient, settings: Settings, notify_sims: NotifySims, operator: str
) -> None:
    few = dataclasses.replace(settings, notify_max_attempts=3)
    built = build_senders(few)
    try:
        delivery_id = await _queue(few, "evt_park", "seller_new_order", SELLER)  # a seller: email only
        notify_sims.mail.call("/_sim/faults", {"down": True})
        for hours in range(3):
            with clock.travel(timedelta(hours=hours)):
                await send_once(built, few)
        (row,) = await rows()
        assert (row["status"], row["attempts"], row["next_attempt_at"]) == ("parked", 3, None)
        assert "451" in row["last_error"]

        listed = await client.get("/admin/v1/notification-deliveries", params={"status": "parked"},
                                  headers=bearer(operator))  # fmt: skip
        assert listed.status_code == 200, listed.text
        (shown,) = listed.json()["data"]
        assert shown | {"id": delivery_id, "to": "h***@example.vn", "channel": "email", "kind": "seller_new_order",
                        "recipient": "sel_test_seller", "object": "notification_delivery"} == shown  # fmt: skip
        assert "htx@example.vn" not in listed.text

        notify_sims.mail.call("/_sim/faults", {"down": False})
        retried = await client.post(f"/admin/v1/notification-deliveries/{delivery_id}/retry", headers=bearer(operator))
        assert retried.status_code == 200 and retried.json()["status"] == "queued", retried.text
        await send_once(built, few)
        again = await client.post(f"/admin/v1/notification-deliveries/{delivery_id}/retry", headers=bearer(operator))
        assert again.status_code == 409 and again.json()["code"] == "delivery_not_parked"
        assert (await client.get("/admin/v1/notification-deliveries/ntf_nope", headers=bearer(operator))).status_code \
            == 404  # fmt: skip
    finally:
        await built.close()
    (mail,) = notify_sims.emails()
    assert mail["to"] == "htx@example.vn"
    audit = await fetch("SELECT action, subject_id FROM audit_event WHERE action = 'notification_delivery.retried'")
    assert [row["subject_id"] for row in audit] == [delivery_id]


async def test_an_address_refused_for_good_with_no_channel_left_is_parked_at_once(
    settings: Settings, senders: Senders, notify_sims: NotifySims
) -> None:
    await _queue(settings, "evt_refused", "seller_new_order", SELLER)
    notify_sims.mail.call("/_sim/faults", {"refuse": ["htx@example.vn"]})
    await send_once(senders, settings)
    (row,) = await rows()
    assert row["status"] == "parked" and "550" in row["last_error"]


async def test_an_event_handled_twice_queues_each_message_once(settings: Settings) -> None:
    event = Event("evt_twice", "payout.paid", {"seller_id": "sel_nobody", "amount": 1, "reference": "r"})
    for _ in range(2):
        async with transaction():
            await jobs.payout_paid(event)  # an unknown seller: nothing
            await queue(settings, event.id, "seller_payout_sent", SELLER, DATA)
    assert len(await rows()) == 1


async def test_a_sender_that_died_mid_send_is_relieved_after_its_lease_and_zalo_sees_one_message(
    settings: Settings, senders: Senders, notify_sims: NotifySims
) -> None:
    await _queue(settings, "evt_lease", "order_placed", BUYER)
    await fetch("UPDATE notification_delivery SET status = 'sending', next_attempt_at = $1", clock.now() + timedelta(
        seconds=60))  # claimed by a sender that then died  # fmt: skip
    assert await send_once(senders, settings) == 0
    with clock.travel(timedelta(seconds=61)):
        assert await send_once(senders, settings) == 1
    (row,) = await rows()
    assert row["status"] == "sent"
    # sent, but the sender died before recording it: the same tracking id is the same message at Zalo
    await fetch("UPDATE notification_delivery SET status = 'queued', next_attempt_at = now(), address = '84912345678'")
    await send_once(senders, settings)
    assert len(notify_sims.zns_messages()) == 1
    assert (await rows())[0]["provider_message_id"] == row["provider_message_id"]


async def test_nothing_is_sent_with_a_transaction_open(settings: Settings, senders: Senders) -> None:
    async with transaction():
        with pytest.raises(RuntimeError, match="transaction open"):
            await send_once(senders, settings)
