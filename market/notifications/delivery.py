"""The worker's sender: claims due deliveries, sends each outside any transaction, records the outcome.

A claim moves a row to `sending` with a lease (`next_attempt_at` = now + `LEASE_S`), committed before the provider
is called; a sender that dies mid-send leaves the row to be claimed again when the lease ends (the provider sees
the same delivery id as its tracking or request id, and the email the same Message-ID). Outcomes:
- sent: the provider's message id is kept, the address and fallback erased (the log keeps the masked address);
- the provider is unavailable: tried again after `backoff_s(attempts)` (5 s doubling to 30 min), parked after
  NOTIFY_MAX_ATTEMPTS: with the default 12, a provider down for over an hour (about 77 minutes at the least) only
  delays the message;
- refused for good: `failed`, and the next channel of its fallback is queued (ZNS, then SMS, then email), in one
  transaction; with no channel left it is parked for operators;
- deferred (a promotional SMS in the quiet hours): queued again for the time the rule allows.
"""

from __future__ import annotations

import asyncio
import json
import random
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import structlog

from market.audit import service as audit
from market.core import clock
from market.core.db import fetch, in_transaction, transaction
from market.core.errors import Conflict, NotFound
from market.notifications import service
from market.notifications.channels.base import Deferred, Outgoing, Refused, Sender, Unavailable
from market.notifications.kinds import KINDS, Channel
from market.notifications.render import render
from market.settings import Settings

log = structlog.get_logger(__name__)
LEASE_S = 60
BASE_BACKOFF_S, MAX_BACKOFF_S = 5.0, 1800.0

CLAIM_SQL = """
WITH due AS (
    SELECT id FROM notification_delivery
    WHERE status IN ('queued', 'sending') AND next_attempt_at <= $1
    ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED
)
UPDATE notification_delivery d SET status = 'sending', next_attempt_at = $1 + make_interval(secs => $3),
    updated_at = now()
FROM due WHERE d.id = due.id
RETURNING d.id, d.kind, d.recipient, d.channel, d.language, d.address, d.data::text AS data, d.attempts
"""


def backoff_s(attempts: int) -> float:
    """Seconds before the next try after `attempts` failures: 5 s doubling to 30 min, less up to a quarter."""
    ceiling: float = min(BASE_BACKOFF_S * 2.0 ** max(attempts - 1, 0), MAX_BACKOFF_S)
    return ceiling * random.uniform(0.75, 1.0)  # noqa: S311 - spreading retries, not a secret


@dataclass
class Senders:
    """The configured channels' clients, by channel."""

    by_channel: dict[Channel, Sender]

    async def close(self) -> None:
        for sender in self.by_channel.values():
            await sender.close()


def build_senders(settings: Settings) -> Senders:
    from market.notifications.channels.email import EmailSender
    from market.notifications.channels.sms import HttpSmsProvider, SmsSender
    from market.notifications.channels.zns import ZnsSender

    found: dict[Channel, Sender] = {}
    if settings.smtp_host:
        found["email"] = EmailSender(settings)
    if settings.zns_api_base:
        found["zns"] = ZnsSender(settings)
    if settings.sms_api_base:
        found["sms"] = SmsSender(HttpSmsProvider(settings))
    return Senders(found)


async def send_once(senders: Senders, settings: Settings) -> int:
    """Claim up to NOTIFY_BATCH_SIZE due deliveries and send them concurrently; returns how many were claimed.

    Raises:
        RuntimeError: when called with a database transaction open (no provider is ever called inside one).
    """
    if in_transaction():
        raise RuntimeError("notifications are never sent with a database transaction open")
    rows = await fetch(CLAIM_SQL, clock.now(), settings.notify_batch_size, LEASE_S)
    outcomes = await asyncio.gather(*(_send(senders, settings, dict(row)) for row in rows), return_exceptions=True)
    for row, outcome in zip(rows, outcomes, strict=True):
        if isinstance(outcome, BaseException):  # recording failed (the database went away): the lease ends, it is
            log.warning("notification_record_failed", delivery_id=row["id"], error=repr(outcome))  # sent again
    return len(rows)


def outgoing(settings: Settings, row: dict[str, Any]) -> Outgoing:
    kind = KINDS[row["kind"]]
    data = json.loads(row["data"])
    link = service.unsubscribe_url(settings, row["recipient"], kind.name) if row["channel"] == "email" else None
    rendered = render(kind.name, row["language"], data, link)
    return Outgoing(row["id"], kind, row["language"], row["address"], data, rendered, link)


async def _send(senders: Senders, settings: Settings, row: dict[str, Any]) -> None:
    sender = senders.by_channel.get(row["channel"])
    try:
        if sender is None:
            raise Unavailable(f"the {row['channel']} channel is not configured")
        if row["address"] is None:
            raise Refused("no address")
        message = outgoing(settings, row)
        provider_id = await sender.send(message)
    except Unavailable as exc:
        await _retry(row, _scrubbed(row, exc), settings.notify_max_attempts)
    except Refused as exc:
        await _refused(row, _scrubbed(row, exc))
    except Deferred as exc:
        await fetch(
            "UPDATE notification_delivery SET status = 'queued', next_attempt_at = $2, last_error = $3, "
            "updated_at = now() WHERE id = $1 AND status = 'sending'",
            row["id"], exc.until, str(exc),
        )  # fmt: skip
    except Exception as exc:  # a bug (a template that does not render): retried, then parked, never lost
        log.exception("notification_send_crashed", delivery_id=row["id"])
        await _retry(row, f"internal: {exc!r}", settings.notify_max_attempts)
    else:
        await fetch(
            "UPDATE notification_delivery SET status = 'sent', provider_message_id = $2, subject = $3, "
            "sent_at = now(), address = NULL, fallback = '[]'::jsonb, last_error = NULL, next_attempt_at = NULL, "
            "attempts = attempts + 1, updated_at = now() WHERE id = $1",
            row["id"], provider_id[:100], message.rendered.subject,
        )  # fmt: skip


def _scrubbed(row: dict[str, Any], exc: Exception) -> str:
    """The error as the log keeps it: a provider's message may quote the address, the log only its mask."""
    text = str(exc)
    return text.replace(row["address"], service.mask(row["address"])) if row["address"] else text


async def _retry(row: dict[str, Any], error: str, max_attempts: int) -> None:
    attempts = row["attempts"] + 1
    parked = attempts >= max_attempts
    due = None if parked else clock.now() + timedelta(seconds=backoff_s(attempts))
    await fetch(
        "UPDATE notification_delivery SET attempts = $2, last_error = $3, next_attempt_at = $4, updated_at = now(), "
        "status = CASE WHEN $5 THEN 'parked' ELSE 'queued' END WHERE id = $1 AND status = 'sending'",
        row["id"], attempts, error[:500], due, parked,
    )  # fmt: skip
    log.warning("notification_retry", delivery_id=row["id"], channel=row["channel"], attempts=attempts,
                parked=parked, error=error)  # fmt: skip


async def _refused(row: dict[str, Any], error: str) -> None:
    """Refused for good on this channel: the next channel is queued in the same transaction (or it parks)."""
    async with transaction():
        rows = await fetch(
            "SELECT event_id, kind, recipient, order_id, language, fallback::text AS fallback, data::text AS data "
            "FROM notification_delivery WHERE id = $1 AND status = 'sending' FOR UPDATE", row["id"])  # fmt: skip
        if not rows:
            return
        current = rows[0]
        fallback = json.loads(current["fallback"])
        if not fallback:
            await fetch("UPDATE notification_delivery SET status = 'parked', last_error = $2, attempts = attempts + 1, "
                        "next_attempt_at = NULL, updated_at = now() WHERE id = $1", row["id"], error[:500])  # fmt: skip
            return
        await fetch("UPDATE notification_delivery SET status = 'failed', last_error = $2, attempts = attempts + 1, "
                    "address = NULL, fallback = '[]'::jsonb, next_attempt_at = NULL, updated_at = now() WHERE id = $1",
                    row["id"], error[:500])  # fmt: skip
        route = [(step["channel"], step["address"]) for step in fallback]
        await service.insert_delivery(current["event_id"], current["kind"], current["recipient"], current["order_id"],
                                      current["language"], route, json.loads(current["data"]))  # fmt: skip
    log.info("notification_fell_back", delivery_id=row["id"], channel=row["channel"], next=fallback[0]["channel"],
             error=error)  # fmt: skip


async def retry_parked(delivery_id: str, actor: str) -> None:
    """An operator sends a parked delivery back to the queue, its attempts counted afresh (audited)."""
    async with transaction():
        rows = await fetch("SELECT status, last_error, attempts FROM notification_delivery WHERE id = $1 FOR UPDATE",
                           delivery_id)  # fmt: skip
        if not rows:
            raise NotFound("No such notification delivery.")
        if rows[0]["status"] != "parked":
            raise Conflict("Only a parked delivery can be retried.", code="delivery_not_parked",
                           current_status=rows[0]["status"])  # fmt: skip
        await fetch("UPDATE notification_delivery SET status = 'queued', attempts = 0, next_attempt_at = $2, "
                    "updated_at = now() WHERE id = $1", delivery_id, clock.now())  # fmt: skip
        await audit.record(actor, "notification_delivery.retried", "notification_delivery", delivery_id,
                           details={"last_error": rows[0]["last_error"], "attempts": rows[0]["attempts"]})  # fmt: skip
