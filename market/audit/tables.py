"""Audit tables."""

from __future__ import annotations

from piccolo.columns import JSONB, BigSerial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AuditEvent(Table, tablename="audit_event"):
    """One operator action (or a system action an operator must be able to read), append-only: rows are never
    updated or deleted. `subject_type`/`subject_id` name what was acted on (`seller` / `sel_...`), `action` is
    `noun.verb_past` like the outbox's events, `details` holds the facts of the action (amounts, counts, before and
    after) and `reason` the words the operator gave."""

    id = BigSerial(primary_key=True)
    event_id = Varchar(length=32, unique=True)
    actor = Varchar(length=100, index=True)
    action = Varchar(length=64, index=True)
    subject_type = Varchar(length=32)
    subject_id = Varchar(length=64, index=True)
    reason = Text(null=True, default=None)
    details = JSONB(default="{}")
    at = Timestamptz(default=TimestamptzNow(), index=True)
