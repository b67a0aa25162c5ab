"""Shipping tables: one parcel per seller order at the carrier, its tracking timeline, and COD remittances."""

from __future__ import annotations

from piccolo.columns import BigInt, BigSerial, Boolean, Bytea, Integer, Text, Timestamptz, Varchar
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
    Cash on delivery, as the carrier reports it: `cod_amount` is what it must collect (fixed at packing),
    `cod_collected` the `money_collect` of its delivery report, `carrier_fee` the `total_fee` it last reported, and
    `delivered_at` the carrier's time of delivery (the remittance due date counts from its Vietnamese date).
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
    cod_collected = BigInt(null=True, default=None)
    carrier_fee = BigInt(null=True, default=None)
    delivered_at = Timestamptz(null=True, default=None)
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
    """One line of a carrier's cash-on-delivery remittance batch, matched to its parcel (or a problem).

    `line_key` is "<batch>:<tracking code>:<n>" (n counts the code's lines within the batch), so a batch imported
    twice changes nothing while a parcel listed twice in one batch is still seen twice. `outcome`: matched (the
    cash of its parcel, recorded on the seller order), or the kind of the problem it raised (paid_twice,
    amount_mismatch, unknown_parcel, cancelled_parcel, not_delivered). `amount` is the cash collected, `fee` what
    the carrier kept back from it (the batch's fee column).
    """

    id = BigSerial(primary_key=True)
    batch = Varchar(length=64, index=True)
    tracking_code = Varchar(length=32, index=True)
    line_key = Varchar(length=100, unique=True)
    amount = BigInt()
    fee = BigInt(default=0)
    parcel_id = Varchar(length=32, null=True, default=None, index=True)
    seller_order_id = Varchar(length=32, null=True, default=None)
    outcome = Varchar(length=24)
    expected = BigInt(null=True, default=None)
    imported_at = Timestamptz(default=TimestamptzNow())


class CodProblem(Table, tablename="cod_problem"):
    """Something about a parcel's cash an operator must chase, kept until resolved with a note (`cpb_...`).

    `kind`: paid_twice, amount_mismatch (remitted differs from expected or collected), collected_mismatch (the
    carrier collected another amount than expected), unremitted (delivered, no batch paid it in time),
    unknown_parcel, cancelled_parcel, not_delivered (a remittance for a parcel that was not delivered).
    `dedupe_key` makes raising the same problem twice a no-op. `status`: open or resolved.
    """

    id = Varchar(length=32, primary_key=True)
    kind = Varchar(length=24, index=True)
    status = Varchar(length=16, default="open", index=True)
    dedupe_key = Varchar(length=140, unique=True)
    parcel_id = Varchar(length=32, null=True, default=None, index=True)
    seller_order_id = Varchar(length=32, null=True, default=None)
    tracking_code = Varchar(length=32, null=True, default=None)
    batch = Varchar(length=64, null=True, default=None)
    amount = BigInt(null=True, default=None)
    expected = BigInt(null=True, default=None)
    collected = BigInt(null=True, default=None)
    detail = Text()
    created_at = Timestamptz(default=TimestamptzNow())
    resolved_at = Timestamptz(null=True, default=None)
    resolved_by = Varchar(length=80, null=True, default=None)
    resolution = Text(null=True, default=None)


class CarrierReport(Table, tablename="carrier_report"):
    """A signed carrier webhook we could not apply, kept as received (`crr_...`) so it is never lost.

    `reason`: unknown_status, unparseable, unknown_parcel. `receipt_key` ("<carrier>:<transaction id>") keeps a
    repeated delivery to one row. `status`: open until an operator re-applies it after a fix, then applied.
    """

    id = Varchar(length=32, primary_key=True)
    carrier = Varchar(length=16)
    transaction_id = Varchar(length=100)
    receipt_key = Varchar(length=140, unique=True)
    body = Bytea()
    reason = Varchar(length=24, index=True)
    detail = Text()
    status = Varchar(length=16, default="open", index=True)
    outcome = Varchar(length=16, null=True, default=None)
    deliveries = Integer(default=1)
    received_at = Timestamptz(default=TimestamptzNow())
    applied_at = Timestamptz(null=True, default=None)
    applied_by = Varchar(length=80, null=True, default=None)
