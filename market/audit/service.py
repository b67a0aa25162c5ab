"""Writing the audit trail, inside the transaction of the action it records (so an action is never committed
without its audit row, nor an audit row without its action), and reading it back for operators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec

from market.core import clock
from market.core.db import fetch, in_transaction
from market.core.errors import field_error
from market.core.ids import new_id


class OutsideTransaction(RuntimeError):
    """`record` was called with no transaction open: the audit row could outlive a rolled-back action."""


def operator_actor(operator_id: str) -> str:
    """How an operator is named as an actor, in the audit trail and the histories."""
    return f"operator:{operator_id}"


async def record(
    actor: str,
    action: str,
    subject_type: str,
    subject_id: str,
    *,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> str:
    """Append one audit event in the caller's transaction and return its id (`aud_...`).

    Args:
        actor: who acted, as the history columns name it (`operator:opr_...`, `system`).
        action: `noun.verb_past`, e.g. `seller.suspended`, `product.taken_down`, `cod_remittance.imported`.
        subject_type: the kind of thing acted on (`seller`, `product`, `order`, `parcel`, ...).
        subject_id: its id.
        reason: the words the operator gave, when the action takes one.
        details: JSON-serialisable facts (amounts, counts, before and after).

    Raises:
        OutsideTransaction: when no transaction is open.
    """
    if not in_transaction():
        raise OutsideTransaction(f"audit event {action!r} must be recorded inside the action's transaction")
    event_id = new_id("aud")
    await fetch(
        "INSERT INTO audit_event (event_id, actor, action, subject_type, subject_id, reason, details, at) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8)",
        event_id,
        actor,
        action,
        subject_type,
        subject_id,
        reason,
        msgspec.json.encode(details or {}).decode(),
        clock.now(),
    )
    return event_id


@dataclass(frozen=True)
class AuditFilter:
    """What an operator narrows the trail to; every field is optional and they combine with AND."""

    actor: str | None = None
    action: str | None = None
    subject_type: str | None = None
    subject_id: str | None = None
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive


@dataclass(frozen=True)
class AuditEvent:
    """One row of the trail as read back; `position` is the keyset the cursor carries (never shown)."""

    position: int
    event_id: str
    actor: str
    action: str
    subject_type: str
    subject_id: str
    reason: str | None
    details: dict[str, Any]
    at: datetime


_LIST_SQL = """
SELECT id, event_id, actor, action, subject_type, subject_id, reason, details::text AS details, at
FROM audit_event
WHERE ($1::varchar IS NULL OR actor = $1) AND ($2::varchar IS NULL OR action = $2)
  AND ($3::varchar IS NULL OR subject_type = $3) AND ($4::varchar IS NULL OR subject_id = $4)
  AND ($5::timestamptz IS NULL OR at >= $5) AND ($6::timestamptz IS NULL OR at < $6)
  AND ($7::bigint IS NULL OR id < $7)
ORDER BY id DESC
LIMIT $8
"""


async def list_events(where: AuditFilter, before: int | None, limit: int) -> list[AuditEvent]:
    """The trail, newest first, `limit` rows after the keyset `before` (the caller asks for one more to know
    whether there is a next page).

    Raises:
        ValidationFailed: `invalid_range` (field `until`) when `until` is not after `since`.
    """
    if where.since is not None and where.until is not None and where.until <= where.since:
        raise field_error("until", "invalid_range", "`until` must be after `since`.")
    rows = await fetch(
        _LIST_SQL,
        where.actor, where.action, where.subject_type, where.subject_id, where.since, where.until, before, limit,
    )  # fmt: skip
    return [
        AuditEvent(
            position=row["id"],
            event_id=row["event_id"],
            actor=row["actor"],
            action=row["action"],
            subject_type=row["subject_type"],
            subject_id=row["subject_id"],
            reason=row["reason"],
            details=msgspec.json.decode(row["details"]),
            at=row["at"],
        )
        for row in rows
    ]
