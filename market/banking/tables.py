"""The bank feed's credits: every transaction the provider reported, stored once (keyed by provider and the
provider's id), with what matching made of it."""

from __future__ import annotations

from piccolo.columns import JSONB, BigInt, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class BankCredit(Table, tablename="bank_credit"):
    """One transaction on the collection account as the bank feed reported it (`provider_key`: "sepay:92704").

    `outcome` (see `market.banking.service`): matched, short, over, late_reserved, refund_flagged or unmatched for
    money in; outgoing for money out (stored, not matched). `queue` is `open` while an unmatched credit waits for an
    operator, then `assigned` or `refund_flagged`; `refund_amount` is what was flagged to give back.
    """

    id = Varchar(length=32, primary_key=True)
    provider = Varchar(length=16)
    provider_key = Varchar(length=100, unique=True)
    gateway = Varchar(length=64, default="")
    account_number = Varchar(length=32, default="")
    transferred_at = Timestamptz(null=True, default=None)
    direction = Varchar(length=4, default="in")
    amount = BigInt()
    content = Text(default="")
    bank_reference = Varchar(length=64, null=True, default=None)
    reference = Varchar(length=32, null=True, default=None)
    order_id = Varchar(length=32, null=True, default=None, index=True)
    outcome = Varchar(length=16, index=True)
    queue = Varchar(length=16, null=True, default=None, index=True)
    refund_amount = BigInt(default=0)
    refund_reason = Text(null=True, default=None)
    resolved_by = Varchar(length=100, null=True, default=None)
    resolved_at = Timestamptz(null=True, default=None)
    payload = JSONB()
    received_at = Timestamptz(default=TimestamptzNow())
