"""Preferences through the API: channels per kind, language, marketing opt-in, and the unsubscribe link."""

from __future__ import annotations

import re
from typing import Any

import httpx

from market.core.db import fetch, transaction
from market.notifications.service import Contact, queue
from market.settings import Settings
from tests.buyers import mobile_buyer
from tests.factories import bearer
from tests.fakes.carrier import CarrierSim
from tests.fakes.notify import NotifySims
from tests.notify_flow import one_box, settle
from tests.orders_flow import Drain, pack, ship


async def test_a_buyer_reads_and_changes_preferences(client: httpx.AsyncClient) -> None:
    buyer = await mobile_buyer(client)
    read = await client.get("/api/v1/me/notification-preferences", headers=buyer["headers"])
    assert read.status_code == 200, read.text
    body = read.json()
    assert body["object"] == "notification_preferences" and body["id"] == buyer["account"]["id"]
    assert body["language"] == "vi" and body["marketing"] is False
    assert body["channels"]["order_placed"] == ["zns", "sms", "email"]
    assert "order_delivered" in body["optional_kinds"] and "order_placed" not in body["optional_kinds"]
    assert "seller_new_order" not in body["channels"]

    changed = await client.patch(
        "/api/v1/me/notification-preferences",
        headers=buyer["headers"],
        json={
            "language": "en",
            "marketing": True,
            "channels": {"order_delivered": [], "order_placed": ["email", "email"]},
        },
    )
    assert changed.status_code == 200, changed.text
    assert changed.json()["channels"]["order_delivered"] == [] and changed.json()["channels"]["order_placed"] == [
        "email"]  # fmt: skip
    again = await client.get("/api/v1/me/notification-preferences", headers=buyer["headers"])
    assert again.json() == changed.json()

    refused = await client.patch("/api/v1/me/notification-preferences", headers=buyer["headers"],
                                 json={"channels": {"order_placed": [], "seller_new_order": ["email"]}})  # fmt: skip
    assert refused.status_code == 422
    assert {(e["field"], e["code"]) for e in refused.json()["errors"]} == {
        ("channels.order_placed", "kind_required"),
        ("channels.seller_new_order", "unknown_kind"),
    }
    for bad in ({"channels": {"order_placed": ["fax"]}}, {"language": "fr"}, {"marketting": True}):
        answer = await client.patch("/api/v1/me/notification-preferences", headers=buyer["headers"], json=bad)
        assert answer.status_code in (400, 422), answer.text
    assert (await client.get("/api/v1/me/notification-preferences")).status_code == 401


async def test_an_english_buyer_gets_english_templates_and_a_turned_off_kind_is_not_sent(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, settings: Settings, carrier_sim: CarrierSim,
    notify_sims: NotifySims, worker: Drain,
) -> None:  # fmt: skip
    placed = await one_box(client, shop, operator)
    await client.patch("/api/v1/me/notification-preferences", headers=placed.buyer["headers"],
                       json={"language": "en", "channels": {"order_packed": []}})  # fmt: skip
    (sor,) = placed.seller_orders
    await pack(client, placed, sor)
    await ship(client, sor["id"], settings, carrier_sim, worker)
    await settle(worker)

    templates = {m["template_id"] for m in notify_sims.zns_messages()}
    assert "310121" not in templates and "310120" not in templates  # packed: turned off
    assert {"310131", "310141", "310151"} <= templates  # English templates (Vietnamese id + 1)


async def test_a_seller_chooses_zalo_and_its_owner_alone_may_change_it(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, notify_sims: NotifySims, worker: Drain
) -> None:
    by_key = await client.patch("/seller/v1/notification-preferences", headers=bearer(shop["key"]),
                                json={"channels": {"seller_new_order": ["zns"]}})  # fmt: skip
    assert by_key.status_code == 403 and by_key.json()["code"] == "owner_only"
    changed = await client.patch("/seller/v1/notification-preferences", headers=bearer(shop["session"]),
                                 json={"channels": {"seller_new_order": ["zns", "email"]}})  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert (await client.get("/seller/v1/notification-preferences", headers=bearer(shop["key"]))).json()[
        "channels"]["seller_new_order"] == ["zns", "email"]  # fmt: skip
    placed = await one_box(client, shop, operator)
    await settle(worker)

    (message,) = [m for m in notify_sims.zns_messages() if m["template_id"] == "320100"]
    assert message["template_data"]["order_code"] == placed.id
    assert message["phone"] == "84" + shop["seller"]["phone"].removeprefix("+84")
    assert [m for m in notify_sims.emails() if m["headers"]["X-Market-Kind"] == "seller_new_order"] == []


async def test_the_unsubscribe_link_of_an_optional_email_turns_that_kind_off(
    client: httpx.AsyncClient, shop: dict[str, Any], operator: str, settings: Settings, carrier_sim: CarrierSim,
    notify_sims: NotifySims, worker: Drain,
) -> None:  # fmt: skip
    placed = await one_box(client, shop, operator)
    headers = placed.buyer["headers"]
    await client.patch("/api/v1/me/notification-preferences", headers=headers,
                       json={"channels": {"order_packed": ["email"], "order_placed": ["email"]}})  # fmt: skip
    (sor,) = placed.seller_orders
    await pack(client, placed, sor)
    await settle(worker)
    (mail,) = [m for m in notify_sims.emails() if m["headers"]["X-Market-Kind"] == "order_packed"]
    link = re.search(r"https://cho\.example\.vn(/api/v1/unsubscribe\?token=\S+)", mail["text"])
    assert link is not None and mail["headers"]["List-Unsubscribe"] == f"<https://cho.example.vn{link.group(1)}>"
    assert mail["headers"]["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert link.group(1) in mail["html"].replace("&amp;", "&")

    done = await client.get(link.group(1))
    assert done.status_code == 200 and done.json() == {"kind": "order_packed", "unsubscribed": True,
                                                      "object": "unsubscribe"}  # fmt: skip
    again = await client.post(link.group(1))  # one-click, and a second click, change nothing more
    assert again.status_code == 200
    prefs = (await client.get("/api/v1/me/notification-preferences", headers=headers)).json()
    assert prefs["channels"]["order_packed"] == [] and prefs["channels"]["order_placed"] == ["email"]
    forged = await client.get("/api/v1/unsubscribe", params={"token": link.group(1).split("=", 1)[1][:-2] + "xx"})
    assert forged.status_code == 404


async def test_marketing_goes_only_to_those_who_opted_in_and_by_sms_carries_qc(
    client: httpx.AsyncClient, settings: Settings, notify_sims: NotifySims, worker: Drain
) -> None:
    buyer = await mobile_buyer(client)
    contact = Contact(buyer["account"]["id"], "buyer", "+84912345678", None)
    data = {"title": "Mùa mãng cầu", "text": "Giam 10% mang cau Ba Den tuan nay."}
    async with transaction():
        assert await queue(settings, "campaign_1", "marketing", contact, data) is None  # not opted in
    await client.patch("/api/v1/me/notification-preferences", headers=buyer["headers"],
                       json={"marketing": True, "channels": {"marketing": ["sms"]}})  # fmt: skip
    async with transaction():
        assert await queue(settings, "campaign_2", "marketing", contact, data) is not None
    rows = await settle(worker)

    assert [row["status"] for row in rows] in (["sent"], ["queued"])  # queued: deferred to 07:00 in Vietnam
    if rows[0]["status"] == "sent":
        (sms,) = notify_sims.sms_messages()
        assert sms["text"].startswith("[QC] ") and sms["type"] == "promotional"
    assert (await fetch("SELECT count(*) AS n FROM notification_delivery"))[0]["n"] == 1
