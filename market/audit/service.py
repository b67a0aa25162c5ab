"""Writing the audit trail, inside the transaction of the action it records (so an action is never committed
without its audit row, nor an audit row without its action)."""

from __future__ import annotations

from typing import Any

import msgspec

from market.core.db import fetch, in_transaction
from market.core.ids import new_id


class OutsideTransaction(RuntimeError):
    """`record` was called with no transaction open: the audit row could outlive a rolled-back action."""


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
        "VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, now())",
        event_id,
        actor,
        action,
        subject_type,
        subject_id,
        reason,
        msgspec.json.encode(details or {}).decode(),
    )
    return event_id
