"""Sending deliveries: claimed from the database, posted with no transaction open, every attempt recorded.

Safe targets. Before every attempt the endpoint's host is resolved and every address checked again (the product
images' rules, `market.core.urls`); the request then goes to the checked address itself, with the endpoint's host
name in `Host` and in TLS SNI (so the certificate is verified for that name), never to a second resolution of the
name: a DNS answer that changes between the check and the connection (DNS rebinding) cannot lead inside.
Redirects are not followed (an answer of 3xx is a failure), proxies in the environment are ignored, and no
connection is kept alive (a pooled connection belongs to one host name's TLS session only).

Retries. A failed attempt (no answer within WEBHOOK_TIMEOUT_S, or any status outside 2xx) is retried with
exponential backoff and jitter (1, 2, 4 ... minutes up to 6 hours, each drawn from the upper half of its step)
until 3 days after the delivery was created, then given up. An endpoint whose attempts have failed for 3 days
without a success in between is disabled, its pending deliveries given up, and `webhook_endpoint.disabled` is
recorded (track notify tells the owner).

Isolation. The `Dispatcher` claims due deliveries at most `per_endpoint` at a time per endpoint and never more
for an endpoint whose lane is full, and sends each in its own task: an endpoint that hangs holds only its own lane
(for at most the timeout), while every other endpoint's deliveries keep being claimed and sent.
"""

from __future__ import annotations

import asyncio
import ipaddress
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx
import structlog

from market import __version__
from market.core import clock
from market.core.db import fetch, transaction
from market.core.ids import new_id
from market.core.outbox.service import record
from market.core.urls import IPAddress, is_loopback_literal, is_public, public_addresses
from market.core.urls import resolve as resolve_name
from market.webhooks.service import give_up_pending, reseal, signing_secrets
from market.webhooks.signing import HEADER, signature_header
from market.webhooks.vault import SecretBox, SecretUnreadable, current_box

log = structlog.get_logger(__name__)
Resolver = Callable[[str], Awaitable[list[IPAddress]]]

DISABLE_AFTER = timedelta(days=3)
FIRST_RETRY_S = 60
MAX_RETRY_S = 6 * 3600
EXCERPT_BYTES = 1000
USER_AGENT = f"market-webhooks/{__version__}"
UNREADABLE = "not sent: the signing secret could not be opened on our side (retried)"


def backoff_s(failures: int, rng: random.Random | None = None) -> float:
    """Seconds before the next try after `failures` failed ones: 60 s doubling up to 6 h, jittered into the upper
    half of the step so that many deliveries failing together do not come back together."""
    step: float = min(FIRST_RETRY_S * 2 ** (max(failures, 1) - 1), MAX_RETRY_S)
    draw: float = (rng or random).random()
    return step / 2 + draw * step / 2


@dataclass(frozen=True)
class Outcome:
    """What one attempt got: a status code and the first bytes of the answer, or the error instead."""

    status_code: int | None
    error: str | None
    excerpt: str
    duration_ms: int

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


async def checked_addresses(host: str, allow_loopback: bool, resolve: Resolver | None = None) -> list[IPAddress]:
    """The addresses a request to `host` may go to now ([] when refused): every address of the name public; in
    development and tests (`allow_loopback`) loopback addresses too. `resolve` replaces the system resolver (a
    test's DNS); its answers are checked the same way."""
    if allow_loopback and is_loopback_literal(host):
        return [ipaddress.ip_address(host)]
    if resolve is None and not allow_loopback:
        return await public_addresses(host)
    try:
        found = [ipaddress.ip_address(host)]
    except ValueError:
        found = await (resolve or resolve_name)(host)

    def allowed(address: IPAddress) -> bool:
        return is_public(address) or (allow_loopback and address.is_loopback)

    return found if found and all(allowed(address) for address in found) else []


async def post(
    client: httpx.AsyncClient, url: str, body: bytes, headers: dict[str, str], timeout_s: float,
    allow_loopback: bool, resolve: Resolver | None = None,
) -> Outcome:  # fmt: skip
    """POST `body` to the endpoint at the address checked just now (see the module's docstring)."""
    started = time.monotonic()

    def done(status_code: int | None, error: str | None, excerpt: bytes = b"") -> Outcome:
        text = excerpt[:EXCERPT_BYTES].decode("utf-8", "replace").replace("\x00", "")
        return Outcome(status_code, error, text, int((time.monotonic() - started) * 1000))

    parts = urlsplit(url)
    host = parts.hostname or ""
    addresses = await checked_addresses(host, allow_loopback, resolve) if parts.scheme in ("http", "https") else []
    if not addresses or (parts.scheme == "http" and not addresses[0].is_loopback):
        return done(None, "host_not_allowed")  # plain http: only to this machine, in development and tests
    address = addresses[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    port = parts.port
    target = urlunsplit((parts.scheme, f"{literal}:{port}" if port else literal, parts.path or "/", parts.query, ""))
    extensions = {"sni_hostname": host} if parts.scheme == "https" else {}
    sent = {**headers, "Host": parts.netloc.rpartition("@")[2], "Connection": "close"}
    try:
        async with asyncio.timeout(timeout_s):
            request = client.build_request("POST", target, content=body, headers=sent, extensions=extensions)
            response = await client.send(request, stream=True)
            try:
                excerpt = b""
                async for chunk in response.aiter_bytes():
                    excerpt += chunk
                    if len(excerpt) >= EXCERPT_BYTES:
                        break
            finally:
                await response.aclose()
    except (TimeoutError, httpx.TimeoutException):
        return done(None, f"timeout after {timeout_s:g} s")
    except httpx.ConnectError as exc:
        return done(None, f"connection failed: {str(exc)[:150]}")
    except (httpx.HTTPError, OSError) as exc:
        return done(None, f"request failed: {type(exc).__name__}")
    return done(response.status_code, None, excerpt)


_CLAIM = """
UPDATE webhook_delivery d SET lease_until = $2
FROM (
    SELECT picked.id FROM (
        SELECT endpoint FROM webhook_delivery
        WHERE status = 'pending' AND next_attempt_at <= $1 AND (lease_until IS NULL OR lease_until < $1)
          AND NOT (endpoint = ANY($3::varchar[]))
        GROUP BY endpoint ORDER BY min(next_attempt_at) LIMIT $5
    ) due
    CROSS JOIN LATERAL (
        SELECT id FROM webhook_delivery x
        WHERE x.endpoint = due.endpoint AND x.status = 'pending' AND x.next_attempt_at <= $1
          AND (x.lease_until IS NULL OR x.lease_until < $1)
        ORDER BY x.next_attempt_at, x.id LIMIT $4 FOR UPDATE SKIP LOCKED
    ) picked
    LIMIT $5
) claimed
WHERE d.id = claimed.id
RETURNING d.id, d.endpoint
"""


async def claim(now: datetime, lease_s: float, full: list[str], per_endpoint: int, limit: int) -> list[Any]:
    """Lease up to `limit` due deliveries, at most `per_endpoint` of each endpoint and none of the `full` ones'."""
    return await fetch(_CLAIM, now, now + timedelta(seconds=lease_s), full, per_endpoint, limit)


_LOAD = """
SELECT d.id, d.status, d.body, d.event_id, d.event_type, d.redeliveries, e.id AS endpoint_id, e.url,
       e.status AS endpoint_status, e.secret, e.previous_secret, e.previous_secret_expires_at
FROM webhook_delivery d JOIN webhook_endpoint e ON e.id = d.endpoint WHERE d.id = $1
"""


@dataclass
class Sender:
    """Sends one delivery: settings, the HTTP client (no keep-alive, no proxies, no redirects), a resolver and the
    box that opens the signing secrets (the process's settings' when None)."""

    timeout_s: float
    allow_loopback: bool
    client: httpx.AsyncClient
    resolve: Resolver | None = None
    box: SecretBox | None = None

    @classmethod
    def create(
        cls, timeout_s: float, allow_loopback: bool, resolve: Resolver | None = None, box: SecretBox | None = None
    ) -> Sender:
        client = httpx.AsyncClient(
            trust_env=False, follow_redirects=False, timeout=httpx.Timeout(timeout_s),
            limits=httpx.Limits(max_keepalive_connections=0, max_connections=None),
        )  # fmt: skip
        return cls(timeout_s, allow_loopback, client, resolve, box)

    async def _secrets(self, row: Any, now: datetime) -> list[str] | None:
        """The opened signing secrets, resealing legacy or previous-key values on the way; None (logged) when a
        key is missing: the attempt fails on our side and is retried."""
        box = self.box or current_box()
        try:
            found = signing_secrets(row, now, box)
            await reseal(row, box)
        except SecretUnreadable as exc:
            log.error("webhook_secret_unreadable", delivery_id=row["id"], endpoint_id=row["endpoint_id"],
                      reason=str(exc))  # fmt: skip
            return None
        return found

    async def attempt(self, delivery_id: str) -> Outcome | None:
        """Try a claimed delivery once and record the outcome; None when it no longer needs sending."""
        rows = await fetch(_LOAD, delivery_id)
        if not rows or rows[0]["status"] != "pending":
            return None
        if rows[0]["endpoint_status"] != "enabled":  # switched off since (a fan-out that raced the switch)
            await fetch("UPDATE webhook_delivery SET status = 'failed', next_attempt_at = NULL, lease_until = NULL, "
                        "last_error = 'endpoint ' || $2 WHERE id = $1 AND status = 'pending'",
                        delivery_id, rows[0]["endpoint_status"])  # fmt: skip
            return None
        row = rows[0]
        body = row["body"].encode()
        started_at = clock.now()
        opened = await self._secrets(row, started_at)
        if opened is None:  # the endpoint is not to blame: it does not count towards disabling it
            outcome = Outcome(None, UNREADABLE, "", 0)
            await record_outcome(delivery_id, started_at, outcome, bool(row["redeliveries"]), blame_endpoint=False)
            return outcome
        headers = {
            "Content-Type": "application/json", "User-Agent": USER_AGENT,
            HEADER: signature_header(body, int(started_at.timestamp()), opened),
            "Market-Event-Id": row["event_id"], "Market-Event-Type": row["event_type"], "Market-Delivery-Id": row["id"],
        }  # fmt: skip
        outcome = await post(self.client, row["url"], body, headers, self.timeout_s, self.allow_loopback, self.resolve)
        await record_outcome(delivery_id, started_at, outcome, bool(row["redeliveries"]))
        return outcome

    async def close(self) -> None:
        await self.client.aclose()


async def record_outcome(
    delivery_id: str, started_at: datetime, outcome: Outcome, redelivery: bool, blame_endpoint: bool = True
) -> None:
    """Write the attempt and move the delivery (succeeded, retried later, or given up) and its endpoint (healthy,
    failing since, or disabled after 3 days of failures, unless the failure was ours: `blame_endpoint`), in one
    transaction."""
    now = clock.now()
    async with transaction():
        rows = await fetch("SELECT attempts, deadline, status, endpoint FROM webhook_delivery WHERE id = $1 FOR UPDATE",
                           delivery_id)  # fmt: skip
        delivery = rows[0]
        number = delivery["attempts"] + 1
        await fetch(
            "INSERT INTO webhook_attempt (id, delivery, number, started_at, duration_ms, status_code, error, "
            "response_excerpt, redelivery) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
            new_id("wha"), delivery_id, number, started_at, outcome.duration_ms, outcome.status_code, outcome.error,
            outcome.excerpt, redelivery,
        )  # fmt: skip
        pending = delivery["status"] == "pending"
        if outcome.succeeded:
            await fetch("UPDATE webhook_delivery SET attempts = $2, status = 'succeeded', succeeded_at = $3, "
                        "next_attempt_at = NULL, lease_until = NULL, last_status_code = $4, last_error = NULL, "
                        "last_attempt_at = $5 WHERE id = $1",
                        delivery_id, number, now, outcome.status_code, started_at)  # fmt: skip
            await fetch("UPDATE webhook_endpoint SET failing_since = NULL WHERE id = $1 AND failing_since IS NOT NULL",
                        delivery["endpoint"])  # fmt: skip
            return
        gives_up = now >= delivery["deadline"]
        retry_at = None if gives_up else min(now + timedelta(seconds=backoff_s(number)), delivery["deadline"])
        await fetch("UPDATE webhook_delivery SET attempts = $2, status = $3, next_attempt_at = $4, lease_until = NULL, "
                    "last_status_code = $5, last_error = $6, last_attempt_at = $7 WHERE id = $1",
                    delivery_id, number, "failed" if gives_up or not pending else "pending",
                    retry_at if pending else None, outcome.status_code, outcome.error, started_at)  # fmt: skip
        if blame_endpoint:
            await _endpoint_failed(delivery["endpoint"], started_at, now)


async def _endpoint_failed(endpoint_id: str, failed_at: datetime, now: datetime) -> None:
    rows = await fetch("UPDATE webhook_endpoint SET failing_since = coalesce(failing_since, $2) WHERE id = $1 "
                       "RETURNING seller, url, status, failing_since", endpoint_id, failed_at)  # fmt: skip
    endpoint = rows[0]
    if endpoint["status"] != "enabled" or now - endpoint["failing_since"] < DISABLE_AFTER:
        return
    await fetch("UPDATE webhook_endpoint SET status = 'disabled', disabled_at = $2, disabled_reason = 'failing', "
                "updated_at = $2 WHERE id = $1", endpoint_id, now)  # fmt: skip
    await give_up_pending(endpoint_id, "endpoint disabled after 3 days of failures")
    await record("webhook_endpoint.disabled", {"endpoint_id": endpoint_id, "seller_id": endpoint["seller"],
                                               "url": endpoint["url"]})  # fmt: skip
    log.warning("webhook_endpoint_disabled", endpoint_id=endpoint_id, seller_id=endpoint["seller"])
