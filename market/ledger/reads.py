"""Reading the ledger: a seller's entries (cursor pages with filters), every seller's balances, the platform's
accounts. Balances come from the maintained totals; entries from the journal, newest first."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime

from market.core import clock
from market.core.db import fetch
from market.core.errors import field_error
from market.core.pagination import Page, decode_cursor, decode_time_key, encode_cursor, page_of, time_key_cursor
from market.ledger import accounts
from market.ledger.service import SellerBalance


@dataclass(frozen=True)
class EntryLine:
    account: str
    amount: int


@dataclass(frozen=True)
class Entry:
    """An entry as readers see it, with the change it made to the seller's three balances (positive: more owed to
    the seller) when it concerns one."""

    id: str
    kind: str
    memo: str
    seller_id: str | None
    seller_order_id: str | None
    created_at: datetime
    lines: list[EntryLine]
    pending: int
    available: int
    in_transit: int


@dataclass(frozen=True)
class EntryFilter:
    """Filters of an entries list: a Vietnamese date range (inclusive), a kind, a seller order."""

    seller_id: str | None = None
    since: date | None = None
    until: date | None = None
    kind: str | None = None
    seller_order_id: str | None = None


ENTRIES_SQL = """
SELECT e.id, e.kind, e.memo, e.seller_id, e.seller_order_id, e.created_at,
       (SELECT json_agg(json_build_object('account', l.account, 'amount', l.amount) ORDER BY l.id)
        FROM ledger_line l WHERE l.entry = e.id)::text AS lines
FROM ledger_entry e
WHERE ($1::varchar IS NULL OR e.seller_id = $1) AND ($2::timestamptz IS NULL OR e.created_at >= $2)
  AND ($3::timestamptz IS NULL OR e.created_at < $3) AND ($4::varchar IS NULL OR e.kind = $4)
  AND ($5::varchar IS NULL OR e.seller_order_id = $5)
  AND ($6::timestamptz IS NULL OR (e.created_at, e.id) < ($6, $7::varchar))
ORDER BY e.created_at DESC, e.id DESC
LIMIT $8
"""


def _entry(row: dict[str, object]) -> Entry:
    lines = [EntryLine(line["account"], line["amount"]) for line in json.loads(str(row["lines"] or "[]"))]
    change = {bucket: 0 for bucket in accounts.BUCKETS}
    seller_id = row["seller_id"]
    for line in lines:
        for bucket in accounts.BUCKETS:
            if seller_id and line.account == accounts.seller(str(seller_id), bucket):
                change[bucket] -= line.amount
    return Entry(
        id=str(row["id"]), kind=str(row["kind"]), memo=str(row["memo"]), seller_id=row["seller_id"],  # type: ignore[arg-type]
        seller_order_id=row["seller_order_id"], created_at=row["created_at"], lines=lines,  # type: ignore[arg-type]
        pending=change["pending"], available=change["available"], in_transit=change["in_transit"],
    )  # fmt: skip


async def entries(filters: EntryFilter, limit: int, cursor: str | None) -> Page[Entry]:
    """Entries matching the filters, newest first (`limit` + a cursor of the last one served)."""
    if filters.since and filters.until and filters.until < filters.since:
        raise field_error("until", "invalid_range", "`until` is before `since`.")
    key = decode_time_key(cursor)
    since = clock.start_of_day(filters.since) if filters.since else None
    until = clock.end_of_day(filters.until) if filters.until else None
    rows = await fetch(ENTRIES_SQL, filters.seller_id, since, until, filters.kind, filters.seller_order_id,
                       key[0] if key else None, key[1] if key else None, limit + 1)  # fmt: skip
    found = [_entry(dict(row)) for row in rows]
    return page_of(found, limit, time_key_cursor)


SELLERS_SQL = """
SELECT seller_id, coalesce(sum(-balance) FILTER (WHERE kind = 'pending'), 0)::bigint AS pending,
       coalesce(sum(-balance) FILTER (WHERE kind = 'available'), 0)::bigint AS available,
       coalesce(sum(-balance) FILTER (WHERE kind = 'in_transit'), 0)::bigint AS in_transit
FROM ledger_account WHERE seller_id IS NOT NULL AND ($1::varchar IS NULL OR seller_id > $1)
GROUP BY seller_id ORDER BY seller_id LIMIT $2
"""


async def sellers(limit: int, cursor: str | None) -> Page[SellerBalance]:
    """Every seller with a ledger account and its balances, by seller id."""
    after = str(decode_cursor(cursor, 1)[0]) if cursor else None
    rows = await fetch(SELLERS_SQL, after, limit + 1)
    found = [SellerBalance(**dict(row)) for row in rows]
    return page_of(found, limit, lambda last: encode_cursor(last.seller_id))


@dataclass(frozen=True)
class StatementEntry:
    """One ledger entry as a seller's statement shows it: what changed in each of its balances (positive: more owed
    to the seller)."""

    entry_id: str
    at: datetime
    kind: str
    memo: str
    seller_order_id: str | None
    pending: int
    available: int
    in_transit: int


# An entry that moves a seller's money names that seller (`market.ledger.service` refuses one that does not), so a
# seller's lines are found through its entries: the index on (seller_id, created_at), never a scan of every line.
STATEMENT_SQL = """
SELECT e.id, e.created_at, e.kind, e.memo, e.seller_order_id,
       coalesce(-sum(l.amount) FILTER (WHERE l.account = $2), 0)::bigint AS pending,
       coalesce(-sum(l.amount) FILTER (WHERE l.account = $3), 0)::bigint AS available,
       coalesce(-sum(l.amount) FILTER (WHERE l.account = $4), 0)::bigint AS in_transit
FROM ledger_entry e JOIN ledger_line l ON l.entry = e.id
WHERE e.seller_id = $1 AND e.created_at >= $5 AND e.created_at < $6
GROUP BY e.id HAVING count(*) FILTER (WHERE l.account IN ($2, $3, $4)) > 0
ORDER BY e.created_at, e.id
"""

OPENING_SQL = """
SELECT coalesce(-sum(l.amount) FILTER (WHERE l.account = $2), 0)::bigint AS pending,
       coalesce(-sum(l.amount) FILTER (WHERE l.account = $3), 0)::bigint AS available,
       coalesce(-sum(l.amount) FILTER (WHERE l.account = $4), 0)::bigint AS in_transit
FROM ledger_entry e JOIN ledger_line l ON l.entry = e.id
WHERE e.seller_id = $1 AND e.created_at < $5
"""


def _seller_accounts(seller_id: str) -> list[str]:
    return [accounts.seller(seller_id, bucket) for bucket in accounts.BUCKETS]


async def balances_before(seller_id: str, at: datetime) -> tuple[int, int, int]:
    """(pending, available, in transit) owed to the seller just before `at`, summed from its entries."""
    row = (await fetch(OPENING_SQL, seller_id, *_seller_accounts(seller_id), at))[0]
    return row["pending"], row["available"], row["in_transit"]


async def statement_entries(seller_id: str, since: datetime, until: datetime) -> list[StatementEntry]:
    """The entries that moved the seller's balances in [since, until), oldest first."""
    rows = await fetch(STATEMENT_SQL, seller_id, *_seller_accounts(seller_id), since, until)
    return [StatementEntry(row["id"], row["created_at"], row["kind"], row["memo"], row["seller_order_id"],
                           row["pending"], row["available"], row["in_transit"]) for row in rows]  # fmt: skip
