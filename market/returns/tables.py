"""Return tables: a return of lines of one delivered seller order, its lines, and its history."""

from __future__ import annotations

from piccolo.columns import JSONB, BigInt, BigSerial, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Return(Table, tablename="order_return"):
    """A buyer's return of some or all lines of a delivered seller order (`ret_...`). `status` moves only along
    `market.returns.service.TRANSITIONS`; `refund_amount` is fixed when it is opened (the lines' amounts as sold,
    after catch weight)."""

    id = Varchar(length=32, primary_key=True)
    seller_order_id = Varchar(length=32, index=True)
    order_id = Varchar(length=32, index=True)
    seller_id = Varchar(length=32, index=True)
    account_id = Varchar(length=32, index=True)
    status = Varchar(length=16, index=True)
    reason_code = Varchar(length=32)
    reason = Text()
    photos = JSONB(default=[])
    payment_method = Varchar(length=8)
    refund_amount = BigInt()
    refund_id = Varchar(length=32, null=True, default=None)
    refusal_reason = Text(null=True, default=None)
    refused_at = Timestamptz(null=True, default=None)
    dispute_reason = Text(null=True, default=None)
    decision_reason = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ReturnLine(Table, tablename="order_return_line"):
    """How many units of one order line go back, and what they are worth (pro rata of the line's final amount)."""

    id = BigSerial(primary_key=True)
    return_id = Varchar(length=32, index=True)
    order_line_id = Varchar(length=32, index=True)
    variant_id = Varchar(length=32)
    product_id = Varchar(length=32)
    product_name = Varchar(length=160)
    quantity = Integer()
    weight_g = Integer()
    amount = BigInt()


class ReturnTransition(Table, tablename="order_return_transition"):
    """Who moved a return from one status to another, when and why (`from_status` is null when it was opened)."""

    id = BigSerial(primary_key=True)
    return_id = Varchar(length=32, index=True)
    from_status = Varchar(length=16, null=True, default=None)
    to_status = Varchar(length=16)
    actor = Varchar(length=100)
    reason = Text(null=True, default=None)
    at = Timestamptz(default=TimestamptzNow())
