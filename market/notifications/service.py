"""Queueing messages and reading what recipients chose.

`queue` runs inside an outbox handler's transaction: it picks the channels from the recipient's preferences (in
the fallback order ZNS, SMS, email, keeping those that are configured and for which the recipient has an address)
and inserts one delivery row for the first, carrying the others as its fallback. Nothing here calls a provider.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import phonenumbers

from market.core.db import fetch
from market.core.ids import new_id
from market.core.security import signed, unsigned
from market.notifications.kinds import DEFAULT_CHANNELS, FALLBACK_ORDER, KINDS, Audience, Channel, Language
from market.settings import Settings

UNSUBSCRIBE_DOMAIN = "unsubscribe"


@dataclass(frozen=True)
class Contact:
    """Who receives a message: `id` is `cus_...`, `sel_...` or, for a guest, `guest:<order id>`."""

    id: str
    audience: Audience
    phone: str | None = None
    email: str | None = None


@dataclass
class Preferences:
    """A recipient's choices (the defaults when they chose nothing)."""

    recipient: str
    language: Language = "vi"
    marketing: bool = False
    channels: dict[str, list[Channel]] = field(default_factory=dict)

    def channels_for(self, kind: str) -> list[Channel]:
        chosen = self.channels.get(kind)
        return list(chosen) if chosen is not None else list(DEFAULT_CHANNELS[KINDS[kind].audience])


def configured(settings: Settings) -> set[Channel]:
    """The channels whose provider is configured."""
    found: set[Channel] = set()
    if settings.zns_api_base:
        found.add("zns")
    if settings.sms_api_base:
        found.add("sms")
    if settings.smtp_host:
        found.add("email")
    return found


def zalo_phone(phone: str | None) -> str | None:
    """A Vietnamese number in the 84 form ZNS and SMS providers take ("+84912345678" -> "84912345678")."""
    if not phone:
        return None
    try:
        parsed = phonenumbers.parse(phone, "VN")
    except phonenumbers.NumberParseException:
        return None
    if parsed.country_code != 84 or not phonenumbers.is_valid_number(parsed):
        return None
    return f"84{parsed.national_number}"


def mask(address: str) -> str:
    """What the log keeps of an address: "84912***678", "h***@example.vn"."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}***@{domain}"
    return f"{address[:5]}***{address[-3:]}"


async def preferences(recipient: str) -> Preferences:
    rows = await fetch(
        "SELECT language, marketing, channels FROM notification_preference WHERE recipient = $1", recipient
    )
    if not rows:
        return Preferences(recipient)
    row = rows[0]
    return Preferences(recipient, row["language"], row["marketing"], json.loads(row["channels"]))


async def save_preferences(prefs: Preferences) -> None:
    await fetch(
        "INSERT INTO notification_preference (recipient, language, marketing, channels, updated_at) "
        "VALUES ($1, $2, $3, $4::jsonb, now()) ON CONFLICT (recipient) DO UPDATE SET language = $2, marketing = $3, "
        "channels = $4::jsonb, updated_at = now()",
        prefs.recipient, prefs.language, prefs.marketing, json.dumps(prefs.channels),
    )  # fmt: skip


def _address(channel: Channel, contact: Contact) -> str | None:
    return contact.email if channel == "email" else zalo_phone(contact.phone)


INSERT_SQL = """
INSERT INTO notification_delivery (id, key, event_id, kind, recipient, order_id, channel, language, address,
    address_masked, fallback, data, status, attempts, next_attempt_at, created_at, updated_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::jsonb, $12::jsonb, 'queued', 0, now(), now(), now())
ON CONFLICT (key) DO NOTHING RETURNING id
"""


async def insert_delivery(
    event_id: str, kind: str, recipient: str, order_id: str | None, language: str,
    route: list[tuple[Channel, str]], data: dict[str, Any],
) -> str | None:  # fmt: skip
    """One delivery row on `route[0]`, the rest of the route as its fallback (once per event, kind, recipient
    and channel)."""
    channel, address = route[0]
    fallback = [{"channel": c, "address": a} for c, a in route[1:]]
    rows = await fetch(INSERT_SQL, new_id("ntf"), f"{event_id}:{kind}:{recipient}:{channel}", event_id, kind,
                       recipient, order_id, channel, language, address, mask(address), json.dumps(fallback),
                       json.dumps(data, default=str))  # fmt: skip
    return str(rows[0]["id"]) if rows else None


async def queue(
    settings: Settings, event_id: str, kind: str, contact: Contact, data: dict[str, Any], order_id: str | None = None
) -> str | None:
    """Queue one message of `kind` for `contact` (inside the caller's transaction); returns the delivery's id, or
    None when nothing is to be sent (turned off, marketing not opted in, no channel or address, already queued)."""
    spec = KINDS[kind]
    assert spec.audience == contact.audience, (kind, contact)
    prefs = await preferences(contact.id)
    if spec.promotional and not prefs.marketing:
        return None
    wanted = set(prefs.channels_for(kind)) & configured(settings)
    route: list[tuple[Channel, str]] = []
    for channel in FALLBACK_ORDER:
        address = _address(channel, contact) if channel in wanted else None
        if address:
            route.append((channel, address))
    if not route:
        return None
    full = {"marketplace": settings.marketplace_name, **data}
    return await insert_delivery(event_id, kind, contact.id, order_id, prefs.language, route, full)


def unsubscribe_token(secret: str, recipient: str, kind: str) -> str:
    return signed(secret, UNSUBSCRIBE_DOMAIN, f"{recipient}|{kind}")


def unsubscribe_url(settings: Settings, recipient: str, kind: str) -> str | None:
    """The link every email of an optional kind carries (None for the kinds that cannot be turned off)."""
    if not KINDS[kind].optional:
        return None
    return (
        f"{settings.public_base_url}/api/v1/unsubscribe?token={unsubscribe_token(settings.secret_key, recipient, kind)}"
    )


async def unsubscribe(secret: str, token: str) -> tuple[str, str] | None:
    """Turn off the kind the token names for its recipient (every channel); None for a token we did not sign."""
    value = unsigned(secret, UNSUBSCRIBE_DOMAIN, token)
    if value is None or "|" not in value:
        return None
    recipient, _, kind = value.partition("|")
    if kind not in KINDS or not KINDS[kind].optional:
        return None
    prefs = await preferences(recipient)
    prefs.channels[kind] = []
    if KINDS[kind].promotional:
        prefs.marketing = False
    await save_preferences(prefs)
    return recipient, kind
