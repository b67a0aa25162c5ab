"""Payout tables: the sellers' bank accounts (every version kept), payout batches and their lines."""

from __future__ import annotations

from piccolo.columns import BigInt, Date, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class SellerBankAccount(Table, tablename="seller_bank_account"):
    """One version of a seller's payout account (`sba_...`). Never updated but for `superseded_at`: a change is a
    new row, so the history is the rows themselves. Payouts go to the current row (`superseded_at` null, one per
    seller by a partial unique index) once `effective_at` (its creation plus the cooling-off period) has passed."""

    id = Varchar(length=32, primary_key=True)
    seller_id = Varchar(length=32, index=True)
    bank_bin = Varchar(length=6)
    account_number = Varchar(length=19)
    holder_name = Varchar(length=120)
    actor = Varchar(length=100)
    effective_at = Timestamptz()
    superseded_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class PayoutBatch(Table, tablename="payout_batch"):
    """A batch of bank transfers to sellers (`pob_...`) for a period of Vietnamese dates. `period_key`
    (`start/end`) is unique, so creating the batch of a period twice gives the first; `request_key` is the
    operator's Idempotency-Key."""

    id = Varchar(length=32, primary_key=True)
    number = Integer(unique=True)
    period_start = Date()
    period_end = Date()
    period_key = Varchar(length=24, unique=True)
    request_key = Varchar(length=300, null=True, default=None, unique=True)
    actor = Varchar(length=100)
    line_count = Integer(default=0)
    total = BigInt(default=0)
    exported_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class PayoutLine(Table, tablename="payout_line"):
    """One seller's transfer in a batch (`pol_...`, the `payout_id` of the events): the amount moved from its
    available balance to payouts in transit, the account it goes to (copied: a later change never redirects it)
    and where it stands: pending, then paid (with the bank's reference) or failed; a paid line the bank sends
    back is returned. A partial unique index keeps one pending line per seller."""

    id = Varchar(length=32, primary_key=True)
    batch_id = Varchar(length=32, index=True)
    seller_id = Varchar(length=32, index=True)
    bank_account_id = Varchar(length=32)
    bank_bin = Varchar(length=6)
    account_number = Varchar(length=19)
    holder_name = Varchar(length=120)
    amount = BigInt()
    reference = Varchar(length=25, unique=True)
    status = Varchar(length=16, default="pending")
    bank_reference = Varchar(length=64, null=True, default=None)
    reason = Text(null=True, default=None)
    paid_at = Timestamptz(null=True, default=None)
    failed_at = Timestamptz(null=True, default=None)
    returned_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
