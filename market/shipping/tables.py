"""Shipping tables: one parcel per seller order at the carrier, its tracking timeline, and COD remittances."""

from __future__ import annotations

from piccolo.columns import BigInt, BigSerial, Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Parcel(Table, tablename="parcel"):
    """A seller order's parcel at the carrier, created by the worker after packing.

    `reference` is our seller-order id, sent as the carrier's order code: before creating again after a timeout or
    a crash, the worker looks the parcel up by it, so there is never a second parcel. `status`: pending (not at the
    carrier yet), created, picked_up, in_transit, delivered, delivery_failed, returning, returned, cancelled, or
    parked (too many failed attempts: operators retry it).

    `kind` is `delivery` (to the buyer) or `return` (a return after delivery, from the buyer back to the seller:
    `return_id` is set, `reference` is the return's id and `seller_order_id` is null).
    """

    id = Varchar(length=32, primary_key=True)
    seller_order_id = Varchar(length=32, unique=True, null=True, default=None)
    kind = Varchar(length=8, default="delivery")
    return_id = Varchar(length=32, unique=True, null=True, default=None)
    carrier = Varchar(length=16)
    reference = Varchar(length=64, unique=True)
    tracking_code = Varchar(length=32, null=True, default=None, unique=True)
    label_url = Text(null=True, default=None)
    service = Varchar(length=16, null=True, default=None)
    status = Varchar(length=16, default="pending", index=True)
    fee = BigInt(null=True, default=None)
    cod_amount = BigInt(default=0)
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=TimestamptzNow(), index=True)
    last_error = Text(null=True, default=None)
    last_status_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class ParcelEvent(Table, tablename="parcel_event"):
    """One status report of the carrier, as received (the tracking timeline). `transaction_id` deduplicates
    repeats; `applied` says whether it moved the parcel (a report older than the latest applied one does not)."""

    id = BigSerial(primary_key=True)
    parcel_id = Varchar(length=32, index=True)
    transaction_id = Varchar(length=100, unique=True)
    status = Varchar(length=16)
    status_code = Varchar(length=16)
    status_name = Varchar(length=120)
    note = Text(null=True, default=None)
    location = Varchar(length=200, null=True, default=None)
    happened_at = Timestamptz()
    money_collect = BigInt(default=0)
    applied = Boolean(default=False)
    received_at = Timestamptz(default=TimestamptzNow())


class CodRemittanceLine(Table, tablename="cod_remittance_line"):
    """One line of a carrier's cash-on-delivery remittance batch, matched to its parcel (or listed as a problem)."""

    id = BigSerial(primary_key=True)
    batch = Varchar(length=64, index=True)
    tracking_code = Varchar(length=32)
    line_key = Varchar(length=100, unique=True)  # "<batch>:<tracking code>": a batch imported twice changes nothing
    amount = BigInt()
    fee = BigInt(default=0)
    seller_order_id = Varchar(length=32, null=True, default=None)
    outcome = Varchar(length=16)  # matched | mismatch | unknown
    expected = BigInt(null=True, default=None)
    imported_at = Timestamptz(default=TimestamptzNow())
