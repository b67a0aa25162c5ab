"""Delivery that loses nothing and repeats nothing: a provider down for an hour, refusals falling back to the next
channel, parking after N failures and the operators' retry, leases after a crash, an email never sent twice when
its answer is slow or lost or its sender dies or loses its lease, and no send inside a transaction. The sender is
driven by hand (`send_once`) with the clock set by the test."""

from __future__ import annotations

import asyncio
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
from market.notifications.channels.email import POOL_SIZE
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


# An email is sent once: SMTP has no idempotency key, so nothing may send it again blindly ---------------------------


async def _mails_arrive(notify_sims: NotifySims, count: int) -> None:
    for _ in range(200):
        if len(notify_sims.emails()) >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} emails did not reach the SMTP server")


async def test_a_slow_answer_to_data_is_waited_for_and_the_email_goes_once(
    settings: Settings, senders: Senders, notify_sims: NotifySims
) -> None:
    """The server takes the message at once but answers "250" after NOTIFY_TIMEOUT_S (a busy server): before, the
    client gave up, called it unavailable and sent it again 5 s later, two copies in the mailbox."""
    assert settings.notify_timeout_s < 3 < settings.smtp_data_timeout_s
    delivery_id = await _queue(settings, "evt_slow_250", "seller_new_order", SELLER)
    notify_sims.mail.call("/_sim/faults", {"answer_delay_s": 3})
    assert await send_once(senders, settings) == 1
    for minutes in (1, 10, 60):
        with clock.travel(timedelta(minutes=minutes)):
            await send_once(senders, settings)
    (row,) = await rows()
    (mail,) = notify_sims.emails()
    assert row["status"] == "sent" and row["attempts"] == 1, row
    assert mail["headers"]["Message-ID"] == f"<{delivery_id}@localhost>" == f"<{row['provider_message_id']}>"


async def test_an_email_whose_answer_never_comes_is_unknown_and_not_sent_again(
    client: httpx.AsyncClient, settings: Settings, notify_sims: NotifySims, operator: str
) -> None:
    """No answer to DATA at all: the server may have it; the delivery is `unknown` for operators, not resent. An
    operator's retry sends a copy with the same Message-ID (the recipient's mail client can tell)."""
    impatient = dataclasses.replace(settings, smtp_data_timeout_s=1.0)
    built = build_senders(impatient)
    try:
        delivery_id = await _queue(impatient, "evt_no_250", "seller_new_order", SELLER)
        notify_sims.mail.call("/_sim/faults", {"answer_delay_s": 3})
        await send_once(built, impatient)
        (row,) = await rows()
        assert (row["status"], row["next_attempt_at"]) == ("unknown", None), row
        assert "DATA" in row["last_error"] and row["provider_message_id"] == f"{delivery_id}@localhost"
        for hours in (1, 24):
            with clock.travel(timedelta(hours=hours)):
                assert await send_once(built, impatient) == 0
        assert len(notify_sims.emails()) == 1

        listed = await client.get("/admin/v1/notification-deliveries", params={"status": "unknown"},
                                  headers=bearer(operator))  # fmt: skip
        assert [d["id"] for d in listed.json()["data"]] == [delivery_id], listed.text
        notify_sims.mail.call("/_sim/faults", {"answer_delay_s": 0})
        retried = await client.post(f"/admin/v1/notification-deliveries/{delivery_id}/retry", headers=bearer(operator))
        assert retried.status_code == 200 and retried.json()["status"] == "queued", retried.text
        await send_once(built, impatient)
    finally:
        await built.close()
    (row,) = await rows()
    first, second = notify_sims.emails()
    assert row["status"] == "sent" and first["headers"]["Message-ID"] == second["headers"]["Message-ID"]


async def test_a_sender_that_dies_after_handing_over_an_email_is_not_followed_by_a_second_copy(
    settings: Settings, senders: Senders, notify_sims: NotifySims
) -> None:
    """The worker stops while the server holds the message and has not answered: when the lease ends, the next
    sender finds an attempt that began and never ended. Before, it sent the email again."""
    await _queue(settings, "evt_died", "seller_new_order", SELLER)
    notify_sims.mail.call("/_sim/faults", {"answer_delay_s": 3})
    dying = asyncio.create_task(send_once(senders, settings))
    await _mails_arrive(notify_sims, 1)
    dying.cancel()
    with pytest.raises(asyncio.CancelledError):
        await dying
    (row,) = await rows()
    assert row["status"] == "sending"  # its sender is gone
    notify_sims.mail.call("/_sim/faults", {"answer_delay_s": 0})
    with clock.travel(timedelta(seconds=settings.notify_lease_s + 1)):
        assert await send_once(senders, settings) == 1
    (row,) = await rows()
    assert row["status"] == "unknown" and "never recorded" in row["last_error"], row
    assert len(notify_sims.emails()) == 1


async def test_a_second_sender_taking_over_expired_leases_sends_no_email_twice(
    settings: Settings, notify_sims: NotifySims
) -> None:
    """Two workers: the first claimed more emails than its SMTP pool sends at once, the server is slow, and its
    leases have ended (the clock jumps past them) when the second claims the same rows. What the first had begun
    is not sent again, what it had not yet begun goes once, by the second; the first's late answers still count."""
    count = POOL_SIZE + 2
    for n in range(count):
        await _queue(settings, f"evt_two_workers_{n}", "seller_new_order", SELLER)
    notify_sims.mail.call("/_sim/faults", {"answer_delay_s": 1.5})
    first, second = build_senders(settings), build_senders(settings)
    try:
        sending = asyncio.create_task(send_once(first, settings))
        await _mails_arrive(notify_sims, POOL_SIZE)  # the first's pool is busy, two rows wait for a connection
        with clock.travel(timedelta(seconds=settings.notify_lease_s + 1)):
            assert await send_once(second, settings) == count
            assert await sending == count
    finally:
        await first.close()
        await second.close()
    found = await rows()
    assert [row["status"] for row in found] == ["sent"] * count, found
    delivered = [mail["headers"]["X-Market-Delivery"] for mail in notify_sims.emails()]
    assert sorted(delivered) == sorted(row["id"] for row in found)
