"""Notification tables: what each recipient chose, every delivery (the queue and the log in one), low-stock
thresholds."""

from __future__ import annotations

from piccolo.columns import JSONB, Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class NotificationPreference(Table, tablename="notification_preference"):
    """A recipient's choices: `recipient` is a customer account (`cus_...`) or a seller (`sel_...`); `channels`
    maps a kind to the channels it may use (absent: the audience's default; an empty list: off, only for optional
    kinds); `marketing` is the opt-in for promotional messages (off until chosen)."""

    recipient = Varchar(length=40, primary_key=True)
    language = Varchar(length=2, default="vi")
    marketing = Boolean(default=False)
    channels = JSONB(default="{}")
    updated_at = Timestamptz(default=TimestamptzNow())


class NotificationDelivery(Table, tablename="notification_delivery"):
    """One message to one recipient by one channel: queued by an event's handler, sent by the worker.

    `key` is "<event>:<kind>:<recipient>:<channel>" (unique), so an event delivered twice queues nothing twice.
    `status`: queued (due at `next_attempt_at`), sending (claimed by the sender whose token is `claim` until
    `next_attempt_at`, its lease), sent, failed (the provider refused it for good: the next channel of `fallback`
    was queued), parked (failed `attempts` times, or refused with no channel left: operators retry it) or unknown
    (an email whose attempt began, `send_started_at`, and whose outcome is not known: the server's answer was lost
    after the message was handed over, or the sender died; not resent automatically, operators decide). `address`
    (the phone or email) and `fallback` (the channels left, with their addresses) are erased once the message is
    sent; the log keeps
    `address_masked`, `data` (what the templates rendered), `subject` and `provider_message_id`.
    """

    id = Varchar(length=32, primary_key=True)
    key = Varchar(length=250, unique=True)
    event_id = Varchar(length=100, index=True)
    kind = Varchar(length=40)
    recipient = Varchar(length=40, index=True)
    order_id = Varchar(length=32, null=True, default=None, index=True)
    channel = Varchar(length=8)
    language = Varchar(length=2, default="vi")
    address = Varchar(length=254, null=True, default=None)
    address_masked = Varchar(length=254)
    fallback = JSONB(default="[]")
    data = JSONB()
    subject = Text(null=True, default=None)
    status = Varchar(length=8, default="queued", index=True)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=TimestamptzNow(), index=True)
    last_error = Text(null=True, default=None)
    provider_message_id = Varchar(length=100, null=True, default=None)
    claim = Varchar(length=32, null=True, default=None)
    send_started_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)
    updated_at = Timestamptz(default=TimestamptzNow())


class StockAlert(Table, tablename="stock_alert"):
    """A seller's low-stock threshold for one variant: a message when what can be sold falls to `threshold` or
    below (`below` is set then, and cleared when stock is back above, so each fall is told once)."""

    variant_id = Varchar(length=32, primary_key=True)
    seller_id = Varchar(length=32, index=True)
    threshold = Integer()
    below = Boolean(default=False)
    updated_at = Timestamptz(default=TimestamptzNow())
