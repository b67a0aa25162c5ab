"""What payouts read from the ledger beyond `market.ledger.service`: the balances a batch pays, locked, and a
seller's lines over a period for its statement. Read-only queries on the ledger's tables (its notes allow them until the
ledger exposes readers of its own: these belong in `market.ledger` and should move there)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from market.core.db import fetch
from market.ledger import accounts as ledger_accounts

PAYABLE_SQL = """
SELECT a.seller_id, -a.balance AS available, b.id AS account_id, b.bank_bin, b.account_number, b.holder_name
FROM ledger_account a
JOIN seller_bank_account b ON b.seller_id = a.seller_id AND b.superseded_at IS NULL AND b.effective_at <= $2
WHERE a.kind = 'available' AND -a.balance >= $1 AND -a.balance > 0
ORDER BY a.name FOR UPDATE OF a
"""
# In name order, as the ledger's own postings lock accounts, so a batch and a posting never deadlock.


@dataclass(frozen=True)
class Payable:
    """A seller to pay: its whole available balance, to its current, cooled-off bank account."""

    seller_id: str
    amount: int
    account_id: str
    bank_bin: str
    account_number: str
    holder_name: str


async def payable(minimum: int, at: datetime) -> list[Payable]:
    """Every seller with at least `minimum` available and a bank account effective at `at`, by seller id; their
    available accounts stay locked until the caller's transaction ends, so what a batch moves to in transit cannot
    change under it (a posting on the same account waits for the batch, then sees it). One statement: the same
    as `market.ledger.service.available_at_least` joined to the bank accounts and locked."""
    rows = await fetch(PAYABLE_SQL, minimum, at)
    return sorted((Payable(row["seller_id"], row["available"], row["account_id"], row["bank_bin"],
                           row["account_number"], row["holder_name"]) for row in rows),
                  key=lambda p: p.seller_id)  # fmt: skip


@dataclass(frozen=True)
class StatementEntry:
    """One ledger entry as a seller's statement shows it: what changed in each of its balances."""

    entry_id: str
    at: datetime
    kind: str
    memo: str
    seller_order_id: str | None
    pending: int
    available: int
    in_transit: int


ENTRIES_SQL = """
SELECT e.id, e.created_at, e.kind, e.memo, e.seller_order_id,
       coalesce(-sum(l.amount) FILTER (WHERE l.account = $2), 0)::bigint AS pending,
       coalesce(-sum(l.amount) FILTER (WHERE l.account = $3), 0)::bigint AS available,
       coalesce(-sum(l.amount) FILTER (WHERE l.account = $4), 0)::bigint AS in_transit
FROM ledger_line l JOIN ledger_entry e ON e.id = l.entry
WHERE l.seller_id = $1 AND l.created_at >= $5 AND l.created_at < $6
GROUP BY e.id ORDER BY e.created_at, e.id
"""

OPENING_SQL = """
SELECT coalesce(-sum(amount) FILTER (WHERE account = $2), 0)::bigint AS pending,
       coalesce(-sum(amount) FILTER (WHERE account = $3), 0)::bigint AS available,
       coalesce(-sum(amount) FILTER (WHERE account = $4), 0)::bigint AS in_transit
FROM ledger_line WHERE seller_id = $1 AND created_at < $5
"""


def _accounts(seller_id: str) -> list[str]:
    return [ledger_accounts.seller(seller_id, bucket) for bucket in ledger_accounts.BUCKETS]


async def balances_before(seller_id: str, at: datetime) -> tuple[int, int, int]:
    """(pending, available, in transit) owed to the seller just before `at`, summed from its lines."""
    row = (await fetch(OPENING_SQL, seller_id, *_accounts(seller_id), at))[0]
    return row["pending"], row["available"], row["in_transit"]


async def entries_between(seller_id: str, since: datetime, until: datetime) -> list[StatementEntry]:
    """The entries that moved the seller's balances in [since, until), oldest first."""
    rows = await fetch(ENTRIES_SQL, seller_id, *_accounts(seller_id), since, until)
    return [StatementEntry(row["id"], row["created_at"], row["kind"], row["memo"], row["seller_order_id"],
                           row["pending"], row["available"], row["in_transit"]) for row in rows]  # fmt: skip
