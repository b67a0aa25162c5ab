"""Idempotency tables."""

from __future__ import annotations

from piccolo.columns import Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class IdempotencyKey(Table, tablename="idempotency_key"):
    """One client's use of one `Idempotency-Key`: the request's fingerprint, the lock of the request in flight, the
    resource it created (the recovery point) and, once finished, the response to replay for 24 hours."""

    scope_key = Varchar(length=320, primary_key=True)
    request_hash = Varchar(length=64)
    locked_until = Timestamptz(null=True, default=None)
    resource_id = Varchar(length=32, null=True, default=None)
    response_status = Integer(null=True, default=None)
    response_body = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz(index=True)
