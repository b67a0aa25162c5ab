"""What crosses HTTP for the audit trail."""

from __future__ import annotations

from typing import Any

import msgspec


class AuditEventOut(msgspec.Struct):
    """One operator action: who (`actor`, e.g. `operator:opr_...`), what (`action`, `noun.verb_past`), on what
    (`subject_type`, `subject_id`), why (`reason`), the facts (`details`) and when (`at`)."""

    id: str
    actor: str
    action: str
    subject_type: str
    subject_id: str
    reason: str | None
    details: dict[str, Any]
    at: str | None
    object: str = "audit_event"
