"""Seller webhook endpoints and the delivery log: registering, changing, rotating secrets, reading, redelivering,
and the fan-out that turns one outbox event into one delivery per subscribed endpoint.

Only a seller's owner changes endpoints (the routes say so); every change is audited in its transaction. URLs
pass the same checks as product images (`market.core.urls`): https, a public host; the sender checks the host
again before every attempt and connects to the address it checked (`market.webhooks.sender`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec
import structlog

from market.audit import service as audit
from market.core import clock
from market.core.db import fetch, transaction
from market.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from market.core.events import Event
from market.core.ids import new_id
from market.core.text import nfc
from market.core.urls import check_public_https_url
from market.webhooks.events import ALL_EVENTS, EVENT_TYPES, concerned_sellers
from market.webhooks.signing import new_secret
from market.webhooks.tables import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from market.webhooks.vault import SecretBox, SecretUnreadable, current_box, is_legacy

log = structlog.get_logger(__name__)

MAX_ENDPOINTS = 16
RETRY_FOR = timedelta(days=3)
"""A delivery is retried for this long after it was created (or redelivered), then given up."""


@dataclass(frozen=True)
class Actor:
    """Who changes an endpoint, as the audit trail names them (`seller:sel_...:acc_...`)."""

    seller_id: str
    name: str


async def url_error(url: str, allow_loopback: bool) -> FieldError | None:
    """The product images' rules: https and a public host (and `http://127.0.0.1` when loopback is allowed)."""
    return await check_public_https_url(url, "url", (), what="webhook", loopback=allow_loopback)


def event_errors(events: list[str]) -> list[FieldError]:
    """Every event type that is not one of `EVENT_TYPES` (or `*`), by its index."""
    return [
        FieldError(
            f"enabled_events[{index}]", "invalid_choice", "Not an event type: see GET /seller/v1/webhook-event-types."
        )
        for index, name in enumerate(events)
        if name != ALL_EVENTS and name not in EVENT_TYPES
    ]


async def _validated(url: str | None, events: list[str] | None, allow_loopback: bool) -> None:
    errors = event_errors(events) if events is not None else []
    found = await url_error(url, allow_loopback) if url is not None else None
    if found is not None:
        errors.insert(0, found)
    if errors:
        raise ValidationFailed(errors)


def _events(events: list[str]) -> list[str]:
    return sorted(set(events))


async def create_endpoint(
    actor: Actor, url: str, events: list[str], description: str, allow_loopback: bool
) -> tuple[WebhookEndpoint, str]:
    """Register an endpoint; its signing secret is returned this once (it signs, so it is kept, unlike API keys,
    but sealed: `market.webhooks.vault`)."""
    await _validated(url, events, allow_loopback)
    secret = new_secret()
    now = clock.now()
    endpoint_id = new_id("whe")
    endpoint = WebhookEndpoint(id=endpoint_id, seller=actor.seller_id, url=url, description=nfc(description),
                               enabled_events=_events(events), status="enabled",
                               secret=current_box().seal(secret, endpoint_id), created_at=now,
                               updated_at=now)  # fmt: skip
    async with transaction():
        await fetch("SELECT id FROM seller WHERE id = $1 FOR NO KEY UPDATE", actor.seller_id)  # one count at a time
        live = await fetch("SELECT count(*) AS n FROM webhook_endpoint WHERE seller = $1 AND deleted_at IS NULL",
                           actor.seller_id)  # fmt: skip
        if live and live[0]["n"] >= MAX_ENDPOINTS:
            raise Conflict(f"A seller has at most {MAX_ENDPOINTS} endpoints.", code="webhook_endpoints_limit")
        await endpoint.save().run()
        details = {"url": url, "enabled_events": endpoint.enabled_events}
        await audit.record(actor.name, "webhook_endpoint.created", "webhook_endpoint", endpoint.id, details=details)
    return endpoint, secret


async def list_endpoints(seller_id: str) -> list[WebhookEndpoint]:
    query = WebhookEndpoint.objects().where(
        (WebhookEndpoint.seller == seller_id) & WebhookEndpoint.deleted_at.is_null()
    )
    return list(await query.order_by(WebhookEndpoint.created_at).run())


async def get_endpoint(seller_id: str, endpoint_id: str) -> WebhookEndpoint:
    """The seller's own live endpoint; another seller's, a deleted one or none at all is a 404."""
    mine = (WebhookEndpoint.id == endpoint_id) & (WebhookEndpoint.seller == seller_id)
    found = await WebhookEndpoint.objects().where(mine & WebhookEndpoint.deleted_at.is_null()).first().run()
    if found is None:
        raise NotFound("No such webhook endpoint.")
    return found


async def update_endpoint(
    actor: Actor, endpoint_id: str, changes: dict[str, Any], allow_loopback: bool
) -> WebhookEndpoint:
    """Change the URL, the events, the description, or turn the endpoint on or off. Turning it on forgets its
    failures (it gets 3 more days)."""
    await _validated(changes.get("url"), changes.get("enabled_events"), allow_loopback)
    values: dict[Any, Any] = {WebhookEndpoint.updated_at: clock.now()}
    if "url" in changes:
        values[WebhookEndpoint.url] = changes["url"]
    if "enabled_events" in changes:
        values[WebhookEndpoint.enabled_events] = _events(changes["enabled_events"])
    if "description" in changes:
        values[WebhookEndpoint.description] = nfc(changes["description"])
    async with transaction():
        endpoint = await get_endpoint(actor.seller_id, endpoint_id)
        status = changes.get("status")
        if status == "enabled" and endpoint.status != "enabled":
            values.update({WebhookEndpoint.status: "enabled", WebhookEndpoint.failing_since: None,
                           WebhookEndpoint.disabled_at: None, WebhookEndpoint.disabled_reason: None})  # fmt: skip
        elif status == "disabled" and endpoint.status != "disabled":
            values.update({WebhookEndpoint.status: "disabled", WebhookEndpoint.disabled_at: clock.now(),
                           WebhookEndpoint.disabled_reason: "by_owner"})  # fmt: skip
            await give_up_pending(endpoint_id, "endpoint disabled")
        await WebhookEndpoint.update(values).where(WebhookEndpoint.id == endpoint_id).run()
        details = {key: value for key, value in changes.items()}
        await audit.record(actor.name, "webhook_endpoint.updated", "webhook_endpoint", endpoint_id, details=details)
    return await get_endpoint(actor.seller_id, endpoint_id)


async def delete_endpoint(actor: Actor, endpoint_id: str) -> None:
    """Delete an endpoint (soft: its deliveries stay in the log); nothing more is sent to it."""
    async with transaction():
        endpoint = await get_endpoint(actor.seller_id, endpoint_id)
        now = clock.now()
        deleted: dict[Any, Any] = {
            WebhookEndpoint.deleted_at: now,
            WebhookEndpoint.status: "deleted",
            WebhookEndpoint.updated_at: now,
        }
        await WebhookEndpoint.update(deleted).where(WebhookEndpoint.id == endpoint_id).run()
        await give_up_pending(endpoint_id, "endpoint deleted")
        await audit.record(actor.name, "webhook_endpoint.deleted", "webhook_endpoint", endpoint_id,
                           details={"url": endpoint.url})  # fmt: skip


async def rotate_secret(actor: Actor, endpoint_id: str, overlap_s: int) -> tuple[WebhookEndpoint, str]:
    """A new secret, returned this once; the current one keeps signing too (a second `v1`) for `overlap_s`.

    The current one becomes the previous one as it is stored (sealed: it is not opened here; a legacy plain one
    is sealed on the way)."""
    secret = new_secret()
    box = current_box()
    async with transaction():
        endpoint = await get_endpoint(actor.seller_id, endpoint_id)
        now = clock.now()
        previous = box.seal(endpoint.secret, endpoint_id) if is_legacy(endpoint.secret) else endpoint.secret
        await WebhookEndpoint.update({
            WebhookEndpoint.previous_secret: previous if overlap_s else None,
            WebhookEndpoint.previous_secret_expires_at: now + timedelta(seconds=overlap_s) if overlap_s else None,
            WebhookEndpoint.secret: box.seal(secret, endpoint_id), WebhookEndpoint.updated_at: now,
        }).where(WebhookEndpoint.id == endpoint_id).run()  # fmt: skip
        await audit.record(actor.name, "webhook_endpoint.secret_rotated", "webhook_endpoint", endpoint_id,
                           details={"overlap_s": overlap_s})  # fmt: skip
    return await get_endpoint(actor.seller_id, endpoint_id), secret


def signing_secrets(endpoint: Any, now: datetime, box: SecretBox) -> list[str]:
    """The secrets a delivery is signed with now, opened: the current one, and the previous one during its overlap
    (`endpoint` is a row with `endpoint_id`, `secret`, `previous_secret`, `previous_secret_expires_at`).

    Raises:
        SecretUnreadable: when a key that sealed one of them is not configured (nothing is signed then).
    """
    endpoint_id = endpoint["endpoint_id"]
    found = [box.open(endpoint["secret"], endpoint_id)]
    expires = endpoint["previous_secret_expires_at"]
    if endpoint["previous_secret"] and expires is not None and expires > now:
        found.append(box.open(endpoint["previous_secret"], endpoint_id))
    return found


async def reseal(endpoint: Any, box: SecretBox) -> bool:
    """Seal the row's secrets under the current key when they are legacy plain values or under the previous key
    (compare-and-set: a rotation meanwhile wins); returns whether the row changed. Raises `SecretUnreadable`."""
    endpoint_id = endpoint["endpoint_id"]
    secret = box.resealed(endpoint["secret"], endpoint_id)
    previous = box.resealed(endpoint["previous_secret"], endpoint_id) if endpoint["previous_secret"] else None
    if secret is None and previous is None:
        return False
    changed = await fetch(
        "UPDATE webhook_endpoint SET secret = $2, previous_secret = $3 WHERE id = $1 AND secret = $4 "
        "AND previous_secret IS NOT DISTINCT FROM $5 RETURNING id",
        endpoint_id, secret or endpoint["secret"], previous or endpoint["previous_secret"],
        endpoint["secret"], endpoint["previous_secret"],
    )  # fmt: skip
    if changed:
        log.info("webhook_secret_resealed", endpoint_id=endpoint_id, key_id=box.current_id)
    return bool(changed)


@dataclass(frozen=True)
class Rekeyed:
    """What `rekey` did: rows sealed anew, rows already under the current key, and the ids of unreadable ones."""

    resealed: int
    current: int
    unreadable: list[str]


async def rekey(box: SecretBox, batch: int = 500) -> Rekeyed:
    """Seal every endpoint's secrets (deleted ones' too) under the current key, one row at a time (keyset by id)."""
    resealed = current = 0
    unreadable: list[str] = []
    after = ""
    while rows := await fetch("SELECT id AS endpoint_id, secret, previous_secret FROM webhook_endpoint "
                              "WHERE id > $1 ORDER BY id LIMIT $2", after, batch):  # fmt: skip
        after = rows[-1]["endpoint_id"]
        for row in rows:
            try:
                if await reseal(row, box):
                    resealed += 1
                else:
                    current += 1
            except SecretUnreadable as exc:
                log.warning("webhook_secret_unreadable", endpoint_id=row["endpoint_id"], reason=str(exc))
                unreadable.append(row["endpoint_id"])
    return Rekeyed(resealed, current, unreadable)


async def give_up_pending(endpoint_id: str, why: str) -> None:
    """Stop retrying what is still pending for an endpoint that is switched off (in the caller's transaction)."""
    await fetch("UPDATE webhook_delivery SET status = 'failed', next_attempt_at = NULL, last_error = $2 "
                "WHERE endpoint = $1 AND status = 'pending'", endpoint_id, why)  # fmt: skip


# The delivery log ------------------------------------------------------------------------------------------


async def list_deliveries(
    seller_id: str, endpoint_id: str | None, status: str | None, event_type: str | None,
    after: tuple[datetime, str] | None, limit: int,
) -> list[WebhookDelivery]:  # fmt: skip
    """The seller's deliveries, newest first, `limit + 1` rows (keyset: created_at, id)."""
    rows = await fetch(
        "SELECT id FROM webhook_delivery WHERE seller = $1 AND ($2::varchar IS NULL OR endpoint = $2) "
        "AND ($3::varchar IS NULL OR status = $3) AND ($4::varchar IS NULL OR event_type = $4) "
        "AND ($5::timestamptz IS NULL OR (created_at, id) < ($5, $6)) ORDER BY created_at DESC, id DESC LIMIT $7",
        seller_id, endpoint_id, status, event_type,
        after[0] if after else None, after[1] if after else None, limit + 1,
    )  # fmt: skip
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    found = {row.id: row for row in await WebhookDelivery.objects().where(WebhookDelivery.id.is_in(ids)).run()}
    return [found[delivery_id] for delivery_id in ids]


async def get_delivery(seller_id: str, delivery_id: str) -> tuple[WebhookDelivery, list[WebhookAttempt]]:
    """One of the seller's deliveries with its attempts, oldest first (another seller's: 404)."""
    delivery = await WebhookDelivery.objects().where(
        (WebhookDelivery.id == delivery_id) & (WebhookDelivery.seller == seller_id)
    ).first().run()  # fmt: skip
    if delivery is None:
        raise NotFound("No such webhook delivery.")
    attempts = await WebhookAttempt.objects().where(WebhookAttempt.delivery == delivery_id).order_by(
        WebhookAttempt.number
    ).run()  # fmt: skip
    return delivery, list(attempts)


async def redeliver(actor: Actor, delivery_id: str) -> WebhookDelivery:
    """Send a delivery again (whatever became of it), with the same event id and body and a fresh 3 days of
    retries; its endpoint must be enabled (409 `webhook_endpoint_disabled`)."""
    now = clock.now()
    async with transaction():
        delivery, _ = await get_delivery(actor.seller_id, delivery_id)
        rows = await fetch("SELECT status FROM webhook_endpoint WHERE id = $1 FOR UPDATE", delivery.endpoint)
        if rows[0]["status"] != "enabled":
            raise Conflict("The endpoint is not enabled: enable it first.", code="webhook_endpoint_disabled",
                           endpoint_status=rows[0]["status"])  # fmt: skip
        await fetch("UPDATE webhook_delivery SET status = 'pending', next_attempt_at = $2, deadline = $3, "
                    "lease_until = NULL, redeliveries = redeliveries + 1 WHERE id = $1",
                    delivery_id, now, now + RETRY_FOR)  # fmt: skip
        await audit.record(actor.name, "webhook_delivery.redelivered", "webhook_delivery", delivery_id,
                           details={"event_id": delivery.event_id})  # fmt: skip
    found, _ = await get_delivery(actor.seller_id, delivery_id)
    return found


# The fan-out ------------------------------------------------------------------------------------------------


def envelope(event: Event, created: datetime, data: dict[str, Any]) -> bytes:
    """The JSON every delivery of an event to a seller carries."""
    return msgspec.json.encode({"id": event.id, "object": "event", "type": event.type,
                                "created": int(created.timestamp()), "data": data})  # fmt: skip


async def fan_out(event: Event) -> int:
    """One pending delivery per subscribed, enabled endpoint of each seller the event concerns (inside the
    handler's transaction, so an event is fanned out once); returns how many were created."""
    sellers = await concerned_sellers(event)
    if not sellers:
        return 0
    endpoints = await fetch(
        "SELECT id, seller FROM webhook_endpoint WHERE seller = ANY($1::varchar[]) AND status = 'enabled' "
        "AND (enabled_events ? $2 OR enabled_events ? '*') ORDER BY id",
        list(sellers), event.type,
    )  # fmt: skip
    if not endpoints:
        return 0
    occurred = await fetch("SELECT occurred_at FROM outbox_event WHERE event_id = $1", event.id)
    created = occurred[0]["occurred_at"] if occurred else clock.now()
    bodies = {seller: envelope(event, created, data).decode() for seller, data in sellers.items()}
    now = clock.now()
    inserted = await fetch(
        "INSERT INTO webhook_delivery (id, endpoint, seller, event_id, event_type, body, status, attempts, "
        "next_attempt_at, deadline, created_at, redeliveries) "
        "SELECT d.id, d.endpoint, d.seller, $4, $5, d.body, 'pending', 0, $6, $7, $6, 0 "
        "FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $8::text[]) AS d(id, endpoint, seller, body) "
        "ON CONFLICT (endpoint, event_id) DO NOTHING RETURNING id",
        [new_id("whd") for _ in endpoints], [row["id"] for row in endpoints], [row["seller"] for row in endpoints],
        event.id, event.type, now, now + RETRY_FOR, [bodies[row["seller"]] for row in endpoints],
    )  # fmt: skip
    return len(inserted)
