"""What payouts read from the ledger beyond `market.ledger.service`: balances locked for a batch, and a seller's
lines over a period for its statement. Read-only queries on the ledger's tables (its notes allow them until the
ledger exposes readers of its own: these belong in `market.ledger` and should move there)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from market.core.db import fetch
from market.ledger import accounts as ledger_accounts

LOCK_SQL = """
SELECT seller_id, -balance AS available FROM ledger_account WHERE name = ANY($1::varchar[]) AND -balance > 0
ORDER BY name FOR UPDATE
"""
# In name order, as the ledger's own postings lock accounts, so a batch and a posting never deadlock.


async def locked_available(seller_ids: list[str]) -> list[tuple[str, int]]:
    """The available balances (> 0) of these sellers, their rows locked until the caller's transaction ends: what
    a batch moves to in transit cannot change under it (a refund posting waits for the batch, then sees it)."""
    rows = await fetch(LOCK_SQL, sorted(ledger_accounts.available(seller_id) for seller_id in seller_ids))
    return sorted((row["seller_id"], row["available"]) for row in rows)


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
