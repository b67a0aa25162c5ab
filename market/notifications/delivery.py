"""The worker's sender: claims due deliveries, sends each outside any transaction, records the outcome.

Each (event, recipient, channel) is sent once; how that holds, step by step:
- a claim moves a row to `sending` with a lease (`next_attempt_at` = now + NOTIFY_LEASE_S) and the claiming
  sender's token (`claim`), committed before any provider is called;
- just before an email is handed to the SMTP server (once a pooled connection is free), `begin` records
  `send_started_at` and renews the lease, on condition that the row still carries this sender's token: a sender
  whose lease ended while it waited (another took the row) sends nothing. The settings refuse a lease shorter than
  the longest send (`Settings.notify_send_bound_s`) and its recording, so no lease ends while a send is in flight;
- a row claimed again with `send_started_at` set is one whose sender died (or lost the database) mid-send: an
  email is then `unknown`, not sent again blindly (SMTP has no idempotency key; it may have arrived); a ZNS or SMS
  message is sent again with the same key (the delivery's id as `tracking_id` / `request_id`), which the provider
  answers with the first message's id instead of sending twice;
- an email whose DATA got no answer is `unknown` likewise. Operators see `unknown` rows in the delivery log and may
  retry them (the copy carries the same Message-ID).

Outcomes:
- sent: the provider's message id is kept, the address and fallback erased (the log keeps the masked address);
- the provider is unavailable (it did not take the message): tried again after `backoff_s(attempts)` (5 s doubling
  to 30 min), parked after NOTIFY_MAX_ATTEMPTS: with the default 12, a provider down for over an hour (about 77
  minutes at the least) only delays the message;
- refused for good: `failed`, and the next channel of its fallback is queued (ZNS, then SMS, then email), in one
  transaction; with no channel left it is parked for operators;
- deferred (a promotional SMS in the quiet hours): queued again for the time the rule allows;
- unknown (an email perhaps sent): kept for operators, never resent by itself.
An outcome is recorded with a few quick retries when the database hiccups: what was sent is known in memory, and
losing it would turn a sent email into an unknown one.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import asyncpg
import structlog

from market.audit import service as audit
from market.core import clock
from market.core.db import fetch, in_transaction, transaction
from market.core.errors import Conflict, NotFound
from market.notifications import service
from market.notifications.channels.base import (
    Begin,
    Deferred,
    Outgoing,
    Refused,
    Sender,
    Superseded,
    Unavailable,
    Unknown,
)
from market.notifications.kinds import KINDS, Channel
from market.notifications.render import render
from market.settings import Settings

log = structlog.get_logger(__name__)
BASE_BACKOFF_S, MAX_BACKOFF_S = 5.0, 1800.0
RECORD_RETRIES_S = (0.2, 1.0, 3.0)
"""Pauses between the tries of recording an outcome when the database is briefly unreachable."""
TRANSIENT = (OSError, TimeoutError, asyncpg.PostgresConnectionError, asyncpg.InterfaceError,
             asyncpg.TooManyConnectionsError, asyncpg.CannotConnectNowError)  # fmt: skip

CLAIM_SQL = """
WITH due AS (
    SELECT id FROM notification_delivery
    WHERE status IN ('queued', 'sending') AND next_attempt_at <= $1
    ORDER BY next_attempt_at LIMIT $2 FOR UPDATE SKIP LOCKED
)
UPDATE notification_delivery d SET status = 'sending', next_attempt_at = $1 + make_interval(secs => $3),
    claim = $4, updated_at = now()
FROM due WHERE d.id = due.id
RETURNING d.id, d.kind, d.recipient, d.channel, d.language, d.address, d.data::text AS data, d.attempts,
    d.send_started_at
"""
BEGIN_SQL = """
UPDATE notification_delivery SET send_started_at = $3::timestamptz,
    next_attempt_at = $3::timestamptz + make_interval(secs => $4),
    updated_at = now()
WHERE id = $1 AND claim = $2 AND status = 'sending' RETURNING id
"""
SENT_SQL = """
UPDATE notification_delivery SET status = 'sent', provider_message_id = $2, subject = $3, sent_at = now(),
    address = NULL, fallback = '[]'::jsonb, last_error = NULL, next_attempt_at = NULL, claim = NULL,
    attempts = attempts + 1, updated_at = now()
WHERE id = $1 AND status IN ('sending', 'unknown')
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
    token = secrets.token_hex(12)
    rows = await fetch(CLAIM_SQL, clock.now(), settings.notify_batch_size, settings.notify_lease_s, token)
    outcomes = await asyncio.gather(*(_send(senders, settings, dict(row), token) for row in rows),
                                    return_exceptions=True)  # fmt: skip
    for row, outcome in zip(rows, outcomes, strict=True):
        if isinstance(outcome, BaseException):  # recording failed for good (the database went away): when the lease
            log.warning("notification_record_failed", delivery_id=row["id"], error=repr(outcome))  # ends, see above
    return len(rows)


def outgoing(settings: Settings, row: dict[str, Any]) -> Outgoing:
    kind = KINDS[row["kind"]]
    data = json.loads(row["data"])
    link = service.unsubscribe_url(settings, row["recipient"], kind.name) if row["channel"] == "email" else None
    rendered = render(kind.name, row["language"], data, link)
    return Outgoing(row["id"], kind, row["language"], row["address"], data, rendered, link)


def _begin(sender: Sender, settings: Settings, row: dict[str, Any], token: str) -> Begin:
    """The `begin` of one attempt: for a channel without idempotency key, the attempt's start is recorded (and the
    lease renewed) only while the row is still this sender's; an idempotent channel needs no record (a repeat
    costs nothing)."""

    async def begin() -> bool:
        if sender.idempotent:
            return True
        started = await fetch(BEGIN_SQL, row["id"], token, clock.now(), settings.notify_lease_s)
        return bool(started)

    return begin


async def _send(senders: Senders, settings: Settings, row: dict[str, Any], token: str) -> None:
    sender = senders.by_channel.get(row["channel"])
    try:
        if sender is None:
            raise Unavailable(f"the {row['channel']} channel is not configured")
        if row["address"] is None:
            raise Refused("no address")
        if row["send_started_at"] is not None and not sender.idempotent:
            raise Unknown(f"an attempt began at {row['send_started_at'].isoformat()} and its outcome was never "
                          "recorded (the sender stopped or lost the database)", _message_id(settings, row))  # fmt: skip
        message = outgoing(settings, row)
        provider_id = await sender.send(message, _begin(sender, settings, row, token))
    except Superseded:
        log.info("notification_superseded", delivery_id=row["id"])  # another sender holds it: it sends it
    except Unavailable as exc:
        await _retry(row, token, _scrubbed(row, exc), settings.notify_max_attempts)
    except Refused as exc:
        await _refused(row, token, _scrubbed(row, exc))
    except Deferred as exc:
        await _record(
            "UPDATE notification_delivery SET status = 'queued', next_attempt_at = $3, last_error = $4, "
            "send_started_at = NULL, claim = NULL, updated_at = now() WHERE id = $1 AND claim = $2 "
            "AND status = 'sending'",
            row["id"], token, exc.until, str(exc),
        )  # fmt: skip
    except Unknown as exc:
        await _unknown(row, token, _scrubbed(row, exc), exc.message_id)
    except Exception as exc:  # a bug (a template that does not render): retried, then parked, never lost
        log.exception("notification_send_crashed", delivery_id=row["id"])
        await _retry(row, token, f"internal: {exc!r}", settings.notify_max_attempts)
    else:
        await _record(SENT_SQL, row["id"], provider_id[:100], message.rendered.subject)


def _message_id(settings: Settings, row: dict[str, Any]) -> str:
    from market.notifications.channels.email import message_id

    return message_id(row["id"], settings.mail_from) if row["channel"] == "email" else ""


async def _record(sql: str, *args: Any) -> None:
    """Run an outcome's statement, trying again over a few seconds while the database is unreachable."""
    for pause in (*RECORD_RETRIES_S, None):
        try:
            await fetch(sql, *args)
            return
        except TRANSIENT:
            if pause is None:
                raise
            await asyncio.sleep(pause)


def _scrubbed(row: dict[str, Any], exc: Exception) -> str:
    """The error as the log keeps it: a provider's message may quote the address, the log only its mask."""
    text = str(exc)
    return text.replace(row["address"], service.mask(row["address"])) if row["address"] else text


async def _retry(row: dict[str, Any], token: str, error: str, max_attempts: int) -> None:
    """Not sent: due again after the backoff (the attempt is over, so `send_started_at` is cleared), or parked."""
    attempts = row["attempts"] + 1
    parked = attempts >= max_attempts
    due = None if parked else clock.now() + timedelta(seconds=backoff_s(attempts))
    await _record(
        "UPDATE notification_delivery SET attempts = $3, last_error = $4, next_attempt_at = $5, updated_at = now(), "
        "send_started_at = NULL, claim = NULL, status = CASE WHEN $6 THEN 'parked' ELSE 'queued' END "
        "WHERE id = $1 AND claim = $2 AND status = 'sending'",
        row["id"], token, attempts, error[:500], due, parked,
    )  # fmt: skip
    log.warning("notification_retry", delivery_id=row["id"], channel=row["channel"], attempts=attempts,
                parked=parked, error=error)  # fmt: skip


async def _unknown(row: dict[str, Any], token: str, error: str, message_id: str) -> None:
    """Perhaps sent (an email handed over without an answer): kept for operators, not due again."""
    await _record(
        "UPDATE notification_delivery SET status = 'unknown', attempts = attempts + 1, last_error = $3, "
        "provider_message_id = COALESCE(NULLIF($4, ''), provider_message_id), next_attempt_at = NULL, "
        "updated_at = now() WHERE id = $1 AND claim = $2 AND status = 'sending'",
        row["id"], token, error[:500], message_id[:100],
    )  # fmt: skip
    log.warning("notification_unknown", delivery_id=row["id"], channel=row["channel"], error=error)


async def _refused(row: dict[str, Any], token: str, error: str) -> None:
    """Refused for good on this channel: the next channel is queued in the same transaction (or it parks)."""
    async with transaction():
        rows = await fetch(
            "SELECT event_id, kind, recipient, order_id, language, fallback::text AS fallback, data::text AS data "
            "FROM notification_delivery WHERE id = $1 AND claim = $2 AND status = 'sending' FOR UPDATE",
            row["id"], token,
        )  # fmt: skip
        if not rows:
            return
        current = rows[0]
        fallback = json.loads(current["fallback"])
        if not fallback:
            await fetch("UPDATE notification_delivery SET status = 'parked', last_error = $2, attempts = attempts + 1, "
                        "next_attempt_at = NULL, claim = NULL, updated_at = now() WHERE id = $1",
                        row["id"], error[:500])  # fmt: skip
            return
        await fetch("UPDATE notification_delivery SET status = 'failed', last_error = $2, attempts = attempts + 1, "
                    "address = NULL, fallback = '[]'::jsonb, next_attempt_at = NULL, claim = NULL, "
                    "updated_at = now() WHERE id = $1", row["id"], error[:500])  # fmt: skip
        route = [(step["channel"], step["address"]) for step in fallback]
        await service.insert_delivery(current["event_id"], current["kind"], current["recipient"], current["order_id"],
                                      current["language"], route, json.loads(current["data"]))  # fmt: skip
    log.info("notification_fell_back", delivery_id=row["id"], channel=row["channel"], next=fallback[0]["channel"],
             error=error)  # fmt: skip


async def retry_parked(delivery_id: str, actor: str) -> None:
    """An operator sends a parked (or unknown: perhaps sent) delivery back to the queue, its attempts counted
    afresh (audited)."""
    async with transaction():
        rows = await fetch("SELECT status, last_error, attempts FROM notification_delivery WHERE id = $1 FOR UPDATE",
                           delivery_id)  # fmt: skip
        if not rows:
            raise NotFound("No such notification delivery.")
        if rows[0]["status"] not in ("parked", "unknown"):
            raise Conflict("Only a parked or unknown delivery can be retried.", code="delivery_not_parked",
                           current_status=rows[0]["status"])  # fmt: skip
        await fetch("UPDATE notification_delivery SET status = 'queued', attempts = 0, next_attempt_at = $2, "
                    "send_started_at = NULL, claim = NULL, updated_at = now() WHERE id = $1",
                    delivery_id, clock.now())  # fmt: skip
        await audit.record(actor, "notification_delivery.retried", "notification_delivery", delivery_id,
                           details={"last_error": rows[0]["last_error"], "attempts": rows[0]["attempts"]})  # fmt: skip
