"""`Idempotency-Key` (IETF draft "The Idempotency-Key HTTP Header Field") for the writes that create orders and money.

A key is scoped to its client (a customer account or a guest cart) and kept 24 hours. The first request claims it
with one `INSERT ... ON CONFLICT`; while it runs, the same key answers 409 `idempotency_request_in_progress`;
once it has finished, the same key and body replay its response and a different body answers 422
`idempotency_key_reused`. A request that dies holding the claim loses it when its lock expires, and the next retry
takes over: from the recovery point (`resource_id`, written in the same transaction as the resource) when the
resource was created, from the start otherwise. A request that fails with a client error before creating anything
releases its claim, so the client can fix the request and retry with the same key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from market.core.db import fetch
from market.core.errors import Conflict, DomainError, FieldError, ValidationFailed

HEADER = "Idempotency-Key"
KEY_MAX_LENGTH = 255
TTL_S = 24 * 3600
LOCK_S = 60


class IdempotencyKeyReused(DomainError):
    status = 422
    code = "idempotency_key_reused"
    title = "Idempotency key reused"


class IdempotencyKeyMissing(ValidationFailed):
    status = 400
    code = "idempotency_key_missing"
    title = "Idempotency key missing"


@dataclass(frozen=True)
class Claim:
    """The caller owns the key: `resource_id` is set when an earlier attempt already created the resource."""

    scope_key: str
    resource_id: str | None


@dataclass(frozen=True)
class Replay:
    """The finished first request's response."""

    status: int
    body: str


def checked_key(header: str | None) -> str:
    """The header's value; 400 when it is missing, longer than 255 characters or not printable ASCII."""
    if header is None or not header.strip():
        raise IdempotencyKeyMissing(
            [FieldError(HEADER, "required", "Send an Idempotency-Key header (a UUID you make per attempt).")],
            detail="This request needs an Idempotency-Key header.",
        )
    if len(header) > KEY_MAX_LENGTH or not header.isascii() or not header.isprintable():
        raise IdempotencyKeyMissing(
            [FieldError(HEADER, "invalid", f"At most {KEY_MAX_LENGTH} printable ASCII characters.")],
            detail="The Idempotency-Key header is malformed.",
            code="idempotency_key_invalid",
        )
    return header


def fingerprint(*parts: bytes) -> str:
    """The request's fingerprint: SHA-256 of its method, path and canonical body."""
    digest = hashlib.sha256()
    for part in parts:
        digest.update(len(part).to_bytes(4, "big"))
        digest.update(part)
    return digest.hexdigest()


CLAIM_SQL = """
INSERT INTO idempotency_key AS k (scope_key, request_hash, locked_until, created_at, expires_at)
VALUES ($1, $2, now() + make_interval(secs => $3), now(), now() + make_interval(secs => $4))
ON CONFLICT (scope_key) DO UPDATE SET
    locked_until = EXCLUDED.locked_until,
    request_hash = EXCLUDED.request_hash,
    resource_id = CASE WHEN k.expires_at <= now() THEN NULL ELSE k.resource_id END,
    response_status = CASE WHEN k.expires_at <= now() THEN NULL ELSE k.response_status END,
    response_body = CASE WHEN k.expires_at <= now() THEN NULL ELSE k.response_body END,
    created_at = CASE WHEN k.expires_at <= now() THEN EXCLUDED.created_at ELSE k.created_at END,
    expires_at = CASE WHEN k.expires_at <= now() THEN EXCLUDED.expires_at ELSE k.expires_at END
WHERE k.expires_at <= now()
   OR (k.response_status IS NULL AND k.locked_until <= now() AND k.request_hash = EXCLUDED.request_hash)
RETURNING k.resource_id
"""

STATE_SQL = "SELECT request_hash, response_status, response_body FROM idempotency_key WHERE scope_key = $1"


async def claim(scope: str, key: str, request_hash: str) -> Claim | Replay:
    """Claim `key` for this request, or return the finished response to replay.

    Raises:
        IdempotencyKeyReused: the key was used with a different request (422).
        Conflict: `idempotency_request_in_progress` while the first request still runs (409).
    """
    scope_key = f"{scope}:{key}"
    for _ in range(3):  # the row can vanish between the two statements (a release); then claim again
        rows = await fetch(CLAIM_SQL, scope_key, request_hash, float(LOCK_S), float(TTL_S))
        if rows:
            return Claim(scope_key, rows[0]["resource_id"])
        state = await fetch(STATE_SQL, scope_key)
        if not state:
            continue
        if state[0]["request_hash"] != request_hash:
            raise IdempotencyKeyReused(
                "This Idempotency-Key was used with a different request; use a new key for a new request."
            )
        if state[0]["response_status"] is not None:
            return Replay(state[0]["response_status"], state[0]["response_body"])
        break
    raise Conflict(
        "A request with this Idempotency-Key is still being processed; retry in a moment.",
        code="idempotency_request_in_progress",
    )


FINISH_SQL = """
UPDATE idempotency_key SET response_status = $2, response_body = $3, locked_until = NULL,
       resource_id = coalesce($4, resource_id)
WHERE scope_key = $1
"""


async def finish(claimed: Claim, status: int, body: str, resource_id: str | None = None) -> None:
    """Store the response that later requests with the key replay (inside the resource's transaction, or after)."""
    await fetch(FINISH_SQL, claimed.scope_key, status, body, resource_id)


async def unlock(claimed: Claim) -> None:
    """Let the next retry take over at once (this attempt failed after creating the resource)."""
    await fetch(
        "UPDATE idempotency_key SET locked_until = now() WHERE scope_key = $1 AND response_status IS NULL",
        claimed.scope_key,
    )


async def release(claimed: Claim) -> None:
    """Forget an unfinished claim whose request created nothing (it failed on the client's input)."""
    await fetch(
        "DELETE FROM idempotency_key WHERE scope_key = $1 AND response_status IS NULL AND resource_id IS NULL",
        claimed.scope_key,
    )


async def purge_expired() -> int:
    """Delete keys older than 24 hours (an hourly worker job); returns how many."""
    rows = await fetch("WITH gone AS (DELETE FROM idempotency_key WHERE expires_at < now() RETURNING 1) "
                       "SELECT count(*) AS n FROM gone")  # fmt: skip
    return int(rows[0]["n"])
