"""Ledger tables: accounts with maintained balances, append-only journal entries and their lines.

Amounts are signed integer đồng: a debit is positive, a credit negative, and the lines of an entry sum to zero
(a trigger refuses any statement after which an entry does not balance). Entries and lines are never updated or
deleted (another trigger refuses it); a correction is a new entry. `ledger_account.balance` is the maintained sum
of an account's lines, written in the same statement as the lines, and `market ledger check` recomputes it.
"""

from __future__ import annotations

from piccolo.columns import BigInt, BigSerial, Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class LedgerAccount(Table, tablename="ledger_account"):
    """An account, named as `market.ledger.accounts` spells it (`seller:sel_...:available`, `commission_revenue`),
    with its maintained balance (signed: debits minus credits) and the side on which it normally stands."""

    name = Varchar(length=80, primary_key=True)
    seller_id = Varchar(length=32, null=True, default=None, index=True)
    kind = Varchar(length=24)
    normal = Varchar(length=6)
    balance = BigInt(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())


class LedgerEntry(Table, tablename="ledger_entry"):
    """One journal entry: what caused it (`source`, unique: the same cause posts once), its kind, the seller and
    seller order it concerns, and when it happened."""

    id = Varchar(length=32, primary_key=True)
    source = Varchar(length=200, unique=True)
    kind = Varchar(length=32)  # reports by kind read a period: the BRIN index on created_at (migration)
    memo = Text(default="")
    seller_id = Varchar(length=32, null=True, default=None)
    seller_order_id = Varchar(length=32, null=True, default=None, index=True)
    event_id = Varchar(length=40, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class LedgerLine(Table, tablename="ledger_line"):
    """A debit (positive) or credit (negative) of one account in one entry."""

    id = BigSerial(primary_key=True)
    entry = Varchar(length=32, index=True)  # its entry's id: checked per statement by a trigger, not per row
    account = Varchar(length=80)
    seller_id = Varchar(length=32, null=True, default=None)
    amount = BigInt()
    created_at = Timestamptz(default=TimestamptzNow())


class CommissionRule(Table, tablename="commission_rule"):
    """A commission on goods: `bps` basis points of a line's amount or a `fixed` amount per line (one of the two),
    scoped to a seller, a category, both, or neither (the global default). For each order line the rule with the
    most scopes wins, ties to the oldest (Mercur's rule); the result is frozen on the seller order at checkout."""

    id = Varchar(length=32, primary_key=True)
    seller_id = Varchar(length=32, null=True, default=None, index=True)
    category_id = Varchar(length=32, null=True, default=None)
    bps = Integer(null=True, default=None)
    fixed = BigInt(null=True, default=None)
    active = Boolean(default=True)
    note = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
