"""`Idempotency-Key` (IETF draft "The Idempotency-Key HTTP Header Field") for the writes that create orders and money.

A key is scoped to its client (a customer account or a guest cart) and kept 24 hours. It is recorded by the very
statement that creates the resource (`claim_cte`), with the resource's id (the recovery point) and, when the
response is already known, the response; so a request that fails before creating anything leaves no key behind,
and the client can fix the request and retry with the same key. When the key was already recorded, `lookup` says
what the earlier request left: its response to replay (same key and body), 422 `idempotency_key_reused` for a
different body, 409 `idempotency_request_in_progress` while it still runs, or, when it died between creating the
resource and storing the response (its lock expired), the resource for this request to finish.
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


class IdempotencyKeyMissing(ValidationFailed):
    status = 400
    code = "idempotency_key_missing"


@dataclass(frozen=True)
class Claim:
    """The caller holds the key of a resource it must finish (start its payment, store the response)."""

    scope_key: str
    resource_id: str


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


def claim_cte(condition: str, scope_key: str, request_hash: str, resource_id: str, status: str, body: str) -> str:
    """A WITH-clause, `claimed`, for the statement that creates the resource: it records the key (new, or expired
    and so free again) with the resource's id and, when `status` is not null, the response; `claimed` has a row
    when it did. Nothing is recorded unless `condition` (SQL) holds. The other arguments are the statement's
    parameter placeholders. A concurrent request with the same key waits on the key's row, then finds it taken."""
    return f"""claimed AS (
    INSERT INTO idempotency_key AS k (scope_key, request_hash, locked_until, resource_id, response_status,
                                      response_body, created_at, expires_at)
    SELECT {scope_key}, {request_hash}, CASE WHEN {status}::int IS NULL THEN now() + interval '{LOCK_S} seconds' END,
           {resource_id}, {status}, {body}, now(), now() + interval '{TTL_S} seconds'
    WHERE {condition}
    ON CONFLICT (scope_key) DO UPDATE SET request_hash = EXCLUDED.request_hash, locked_until = EXCLUDED.locked_until,
        resource_id = EXCLUDED.resource_id, response_status = EXCLUDED.response_status,
        response_body = EXCLUDED.response_body, created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
    WHERE k.expires_at <= now()
    RETURNING 1
)"""


LOOKUP_SQL = f"""
WITH earlier AS (
    SELECT request_hash, response_status, response_body, resource_id FROM idempotency_key
    WHERE scope_key = $1 AND expires_at > now()
),
taken AS (
    UPDATE idempotency_key SET locked_until = now() + interval '{LOCK_S} seconds'
    WHERE scope_key = $1 AND expires_at > now() AND request_hash = $2 AND response_status IS NULL
      AND resource_id IS NOT NULL AND locked_until <= now()
    RETURNING resource_id
)
SELECT earlier.*, EXISTS (SELECT 1 FROM taken) AS taken FROM earlier
"""  # noqa: S608 (a constant)


async def lookup(scope: str, key: str, request_hash: str) -> Claim | Replay | None:
    """What an earlier request with this key left: nothing (None), its response (Replay), or a resource whose
    response it never stored, now this request's to finish (Claim, locked for it).

    Raises:
        IdempotencyKeyReused: the key was used with a different request (422).
        Conflict: `idempotency_request_in_progress` while the earlier request still runs (409).
    """
    scope_key = f"{scope}:{key}"
    rows = await fetch(LOOKUP_SQL, scope_key, request_hash)
    if not rows:
        return None
    earlier = rows[0]
    if earlier["request_hash"] != request_hash:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was used with a different request; use a new key for a new request."
        )
    if earlier["response_status"] is not None:
        return Replay(earlier["response_status"], earlier["response_body"])
    if earlier["taken"]:
        return Claim(scope_key, earlier["resource_id"])
    raise Conflict(
        "A request with this Idempotency-Key is still being processed; retry in a moment.",
        code="idempotency_request_in_progress",
    )


async def finish(claimed: Claim, status: int, body: str) -> None:
    """Store the response that later requests with the key replay."""
    await fetch(
        "UPDATE idempotency_key SET response_status = $2, response_body = $3, locked_until = NULL WHERE scope_key = $1",
        claimed.scope_key,
        status,
        body,
    )


async def unlock(claimed: Claim) -> None:
    """Let the next retry take over at once (this attempt failed after creating the resource)."""
    await fetch(
        "UPDATE idempotency_key SET locked_until = now() WHERE scope_key = $1 AND response_status IS NULL",
        claimed.scope_key,
    )


async def purge_expired() -> int:
    """Delete keys older than 24 hours (an hourly worker job); returns how many."""
    rows = await fetch("WITH gone AS (DELETE FROM idempotency_key WHERE expires_at < now() RETURNING 1) "
                       "SELECT count(*) AS n FROM gone")  # fmt: skip
    return int(rows[0]["n"])
