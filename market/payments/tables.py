"""Payment tables: card payments and their refunds, and the inbox of Stripe's webhook events."""

from __future__ import annotations

from piccolo.columns import JSONB, BigInt, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Payment(Table, tablename="payment"):
    """The card payment of one order, written with the order (before any call to the processor).

    `status` only moves forward: pending -> succeeded, or pending -> failed / canceled.
    """

    id = Varchar(length=32, primary_key=True)
    order_id = Varchar(length=32, unique=True)
    method = Varchar(length=16)
    provider = Varchar(length=16)
    provider_ref = Varchar(length=64, null=True, default=None, unique=True)
    client_secret = Text(null=True, default=None)
    status = Varchar(length=16, default="pending", index=True)
    currency = Varchar(length=3, default="VND")
    amount = BigInt()
    amount_received = BigInt(default=0)
    amount_refunded = BigInt(default=0)
    disputed_at = Timestamptz(null=True, default=None, index=True)
    dispute_reason = Varchar(length=64, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Refund(Table, tablename="refund"):
    """Money given back on a payment: a cancelled seller order, a catch-weight difference, a late payment of an
    expired order, or an operator's decision. `request_key` makes each one happen once."""

    id = Varchar(length=32, primary_key=True)
    payment_id = Varchar(length=32, index=True)
    order_id = Varchar(length=32, index=True)
    seller_order_id = Varchar(length=32, null=True, default=None)
    request_key = Varchar(length=300, unique=True)
    amount = BigInt()
    reason = Text()
    status = Varchar(length=16, default="requested")
    provider_ref = Varchar(length=64, null=True, default=None)
    failure = Text(null=True, default=None)
    requested_by = Varchar(length=100)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class StripeEvent(Table, tablename="stripe_event"):
    """Stripe's webhook events as received, keyed by Stripe's event id: a repeat finds its row and is ignored."""

    id = Varchar(length=64, primary_key=True)
    type = Varchar(length=64)
    payload = JSONB()
    received_at = Timestamptz(default=TimestamptzNow())
    processed_at = Timestamptz(null=True, default=None)
