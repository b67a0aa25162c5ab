"""Outbox tables."""

from __future__ import annotations

from piccolo.columns import JSONB, BigSerial, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class OutboxEvent(Table, tablename="outbox_event"):
    """An event recorded in the same transaction as the change it describes.

    `published_at` is set when the relay has handed it to the job queue, `delivered_at` when every handler has
    run. A row published long ago but never delivered (the queue lost it, a handler kept failing) is published
    again, so nothing committed is ever lost.
    """

    id = BigSerial(primary_key=True)
    event_id = Varchar(length=40, unique=True)
    type = Varchar(length=100)
    payload = JSONB()
    occurred_at = Timestamptz(default=TimestamptzNow())
    published_at = Timestamptz(null=True, default=None)
    delivered_at = Timestamptz(null=True, default=None)
    publish_count = Integer(default=0)


class EventReceipt(Table, tablename="event_receipt"):
    """Proof that one handler has applied one event: a redelivered event finds it and changes nothing."""

    id = BigSerial(primary_key=True)
    key = Varchar(length=200, unique=True)
    handled_at = Timestamptz(default=TimestamptzNow())
