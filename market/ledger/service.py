"""Posting journal entries and reading balances: the one way money moves in the ledger.

`post` (one entry) and `post_many` (a batch) write the entries, their lines and the accounts' maintained balances in
ONE statement, inside the caller's transaction when there is one: an entry is known by its `source` (unique), so
posting the same cause again changes nothing and answers False. The database refuses lines that do not sum to zero
per entry and any update or delete of entries and lines (triggers of the migration); the checks here fail earlier
with a clearer message. Balances are read from `ledger_account`, never summed from the lines on a request; `check`
recomputes them from the lines.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from market.core import clock
from market.core.db import fetch, transaction
from market.core.ids import new_ids
from market.ledger import accounts


class LedgerError(ValueError):
    """A posting that cannot be right (unbalanced, an unknown account): a bug in the caller, never user input."""


class Line(NamedTuple):
    """One line: a debit (amount > 0) or a credit (amount < 0) of an account."""

    account: str
    amount: int


def debit(account: str, amount: int) -> Line:
    return Line(account, amount)


def credit(account: str, amount: int) -> Line:
    return Line(account, -amount)


@dataclass(slots=True)
class Posting:
    """An entry to post: its source (unique cause), lines, memo, kind and what it concerns."""

    source: str
    lines: Sequence[Line]
    memo: str = ""
    kind: str = "manual"
    seller_id: str | None = None
    seller_order_id: str | None = None
    event_id: str | None = None
    at: datetime | None = None


def _check_source(source: str) -> None:
    if not source or len(source) > 200:
        raise LedgerError(f"an entry needs a source of 1 to 200 characters, not {source!r}")


def _checked(posting: Posting) -> list[tuple[str, int]]:
    """The posting's non-zero lines, merged per account (in the order first seen); LedgerError when wrong."""
    _check_source(posting.source)
    merged: dict[str, int] = {}
    for line in posting.lines:
        if type(line.amount) is not int:
            raise LedgerError(f"{posting.source}: amounts are whole đồng, not {line.amount!r}")
        merged[line.account] = merged.get(line.account, 0) + line.amount
    for account in merged:
        try:
            accounts.describe(account)
        except ValueError as exc:
            raise LedgerError(f"{posting.source}: {exc}") from None
    if sum(merged.values()) != 0:
        raise LedgerError(f"{posting.source}: lines sum to {sum(merged.values())}, not zero")
    return [(account, amount) for account, amount in merged.items() if amount]


def _balances_sql(kinds_from: str, kind: str, normal: str) -> str:
    """The last step of each posting statement: the accounts' maintained balances, from the lines `l` it inserted
    (with each account's kind and normal side: `kind` and `normal` over `l` and what `kinds_from` joins to it),
    upserted in name order (so two postings lock shared accounts in the same order); the statement answers how many
    entries were new (`posted`)."""
    return f"""b AS (
    INSERT INTO ledger_account AS a (name, seller_id, kind, normal, balance, updated_at)
    SELECT l.account, min(l.seller_id), min({kind}), min({normal}), sum(l.amount), now()
    FROM l {kinds_from}
    GROUP BY l.account ORDER BY l.account
    ON CONFLICT (name) DO UPDATE SET balance = a.balance + excluded.balance, updated_at = excluded.updated_at
    RETURNING 1
)
SELECT (SELECT count(*) FROM e) AS posted, (SELECT count(*) FROM b) AS touched
"""  # noqa: S608 (constant fragments)


POST_SQL = """
WITH e AS (
    INSERT INTO ledger_entry (id, source, kind, memo, seller_id, seller_order_id, event_id, created_at)
    SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::text[], $5::varchar[], $6::varchar[],
                         $7::varchar[], $8::timestamptz[])
    ON CONFLICT (source) DO NOTHING
    RETURNING id, created_at
),
l AS (
    INSERT INTO ledger_line (entry, account, seller_id, amount, created_at)
    SELECT x.entry, x.account, x.seller_id, x.amount, e.created_at
    FROM unnest($9::varchar[], $10::varchar[], $11::varchar[], $12::bigint[])
         WITH ORDINALITY AS x(entry, account, seller_id, amount, n)
    JOIN e ON e.id = x.entry
    ORDER BY x.n
    RETURNING account, seller_id, amount
),
""" + _balances_sql(  # noqa: S608 (constant text)
    "JOIN unnest($13::varchar[], $14::varchar[], $15::varchar[]) AS k(name, kind, normal) ON k.name = l.account",
    "k.kind",
    "k.normal",
)
BATCH_WITHOUT_JIT = 50
"""From this many entries the planner's guess at the unnested rows is large enough to make PostgreSQL compile the
statement (JIT), which costs more than the statement itself: batches turn it off for their transaction."""


async def post_many(postings: Iterable[Posting]) -> int:
    """Post entries at once (in the caller's transaction, or one of their own); returns how many were new (a source
    already posted, or twice in the batch, is skipped). LedgerError before anything is written when one is wrong.

    An entry names the seller whose money it moves (taken from its lines when the posting does not say): one seller
    per entry, so that a seller's entries are all its money (`market.ledger.reads`)."""
    ids: list[str] = []
    sources: list[str] = []
    kinds_: list[str] = []
    memos: list[str] = []
    sellers: list[str | None] = []
    seller_orders: list[str | None] = []
    events: list[str | None] = []
    times: list[datetime] = []
    line_entries: list[str] = []
    line_accounts: list[str] = []
    line_sellers: list[str | None] = []
    line_amounts: list[int] = []
    kinds: dict[str, tuple[str, str]] = {}
    seen: set[str] = set()
    now = clock.now()
    describe = accounts.describe
    batch = list(postings)
    fresh = iter(new_ids("lje", len(batch)))
    for posting in batch:
        checked = _checked(posting)
        entry_id = next(fresh)
        if not checked or posting.source in seen:
            continue
        seen.add(posting.source)
        ids.append(entry_id)
        sources.append(posting.source)
        kinds_.append(posting.kind)
        memos.append(posting.memo)
        sellers.append(posting.seller_id)
        seller_orders.append(posting.seller_order_id)
        events.append(posting.event_id)
        times.append(posting.at or now)
        for account, amount in checked:
            seller_id, kind, normal = describe(account)
            if seller_id is not None and seller_id != sellers[-1]:
                if sellers[-1] is not None:  # the entry names one seller: the one whose money it moves
                    raise LedgerError(f"{posting.source}: {account} is not the money of {sellers[-1]}")
                sellers[-1] = seller_id
            kinds[account] = (kind, normal)
            line_entries.append(entry_id)
            line_accounts.append(account)
            line_sellers.append(seller_id)
            line_amounts.append(amount)
    if not seen:
        return 0
    names = sorted(kinds)
    async with transaction():
        if len(ids) >= BATCH_WITHOUT_JIT:
            await fetch("SET LOCAL jit = off")
        rows = await fetch(
            POST_SQL, ids, sources, kinds_, memos, sellers, seller_orders, events, times,
            line_entries, line_accounts, line_sellers, line_amounts,
            names, [kinds[n][0] for n in names], [kinds[n][1] for n in names],
        )  # fmt: skip
    return int(rows[0]["posted"])


@functools.cache
def _moves_sql(from_: accounts.Bucket, to: accounts.Bucket) -> str:
    """The statement of `move_seller_money`: entries from ($1 ids, $2 sources, $3 sellers, $4 amounts, $5 kind,
    $6 memo, $7 time), two lines each, named in the statement (`accounts.seller_sql`); a seller's account's kind is
    its bucket, its normal side credit."""
    debited, credited = accounts.seller_sql("x.seller_id", from_), accounts.seller_sql("x.seller_id", to)
    return f"""
WITH x AS (
    SELECT * FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::bigint[]) AS x(id, source, seller_id, amount)
),
e AS (
    INSERT INTO ledger_entry (id, source, kind, memo, seller_id, seller_order_id, event_id, created_at)
    SELECT x.id, x.source, $5, $6, x.seller_id, NULL, NULL, $7 FROM x
    ON CONFLICT (source) DO NOTHING
    RETURNING id
),
l AS (
    INSERT INTO ledger_line (entry, account, seller_id, amount, created_at)
    SELECT x.id, v.account, x.seller_id, v.amount, $7
    FROM x JOIN e ON e.id = x.id
         CROSS JOIN LATERAL (VALUES ({debited}, x.amount), ({credited}, -x.amount)) AS v(account, amount)
    RETURNING account, seller_id, amount
),
""" + _balances_sql("", "split_part(l.account, ':', 3)", "'credit'")  # noqa: S608 (constant fragments)


@dataclass(frozen=True, slots=True)
class Move:
    """A seller's money moving from one of its balances to another: `amount` (> 0) đồng, known by `source`."""

    source: str
    seller_id: str
    amount: int


async def move_seller_money(
    moves: Sequence[Move], from_: accounts.Bucket, to: accounts.Bucket, *, kind: str, memo: str = "",
    at: datetime | None = None,
) -> int:  # fmt: skip
    """Post many moves between the same two balances of sellers (a payout batch's available -> in transit) in one
    statement: each is an entry of two lines (a debit of the seller's `from_` account, a credit of its `to`
    account), idempotent on its source as `post_many` is, and returns how many were new. The same ledger rows as
    `post_many` with those postings, for a fraction of its cost: the lines are made in the statement, not in Python.

    Raises:
        LedgerError: a bad source, an amount that is not a positive int, a seller id no account can have, or
            `from_ == to`; before anything is written.
    """
    if from_ == to:
        raise LedgerError(f"a move needs two different balances, not {from_} to {to}")
    sql = _moves_sql(from_, to)  # ValueError for what is not a bucket
    ids, sources, sellers, amounts = [], [], [], []
    seen: set[str] = set()
    for move, entry_id in zip(moves, new_ids("lje", len(moves)), strict=True):
        _check_source(move.source)
        if type(move.amount) is not int or move.amount <= 0:
            raise LedgerError(f"{move.source}: a move is a positive whole number of đồng, not {move.amount!r}")
        if not accounts.is_seller_id(move.seller_id):
            raise LedgerError(f"{move.source}: not a ledger account: {accounts.seller(move.seller_id, from_)!r}")
        if move.source in seen:
            continue
        seen.add(move.source)
        ids.append(entry_id)
        sources.append(move.source)
        sellers.append(move.seller_id)
        amounts.append(move.amount)
    if not ids:
        return 0
    async with transaction():
        if len(ids) >= BATCH_WITHOUT_JIT:
            await fetch("SET LOCAL jit = off")
        rows = await fetch(sql, ids, sources, sellers, amounts, kind, memo, at or clock.now())
    return int(rows[0]["posted"])


async def post(
    source: str, lines: Sequence[Line], memo: str = "", *, kind: str = "manual", seller_id: str | None = None,
    seller_order_id: str | None = None, event_id: str | None = None, at: datetime | None = None,
) -> bool:  # fmt: skip
    """Post one entry, idempotent on `source` (e.g. "evt_...:sor_..." or "payout_line:pol_...:paid"): True when it
    was posted now, False when that source was posted before (whatever its lines were) or every line is zero.

    Raises:
        LedgerError: lines that do not sum to zero, an amount that is not an int, an account that does not exist.
    """
    return bool(await post_many([Posting(source, lines, memo, kind, seller_id, seller_order_id, event_id, at)]))


async def posted(source: str) -> bool:
    """Whether an entry with this source exists."""
    return bool(await fetch("SELECT 1 FROM ledger_entry WHERE source = $1", source))


@dataclass(frozen=True)
class SellerBalance:
    """A seller's three balances, in đồng as the seller reads them (what the marketplace owes them)."""

    seller_id: str
    pending: int = 0
    available: int = 0
    in_transit: int = 0


BALANCES_SQL = """
SELECT seller_id, coalesce(sum(-balance) FILTER (WHERE kind = 'pending'), 0)::bigint AS pending,
       coalesce(sum(-balance) FILTER (WHERE kind = 'available'), 0)::bigint AS available,
       coalesce(sum(-balance) FILTER (WHERE kind = 'in_transit'), 0)::bigint AS in_transit
FROM ledger_account WHERE seller_id = ANY($1::varchar[]) GROUP BY seller_id
"""


async def seller_balance(seller_id: str) -> SellerBalance:
    """One seller's balances (zeros before their first entry)."""
    rows = await fetch("SELECT kind, balance FROM ledger_account WHERE seller_id = $1", seller_id)
    by_kind = {row["kind"]: -row["balance"] for row in rows}
    return SellerBalance(seller_id, by_kind.get("pending", 0), by_kind.get("available", 0),
                         by_kind.get("in_transit", 0))  # fmt: skip


async def seller_balances(seller_ids: Sequence[str]) -> dict[str, SellerBalance]:
    """The balances of many sellers in one query (every seller asked for is in the answer, zeros when unknown)."""
    rows = await fetch(BALANCES_SQL, list(seller_ids))
    found = {row["seller_id"]: SellerBalance(**dict(row)) for row in rows}
    return {seller_id: found.get(seller_id, SellerBalance(seller_id)) for seller_id in seller_ids}


_AVAILABLE = "SELECT balance FROM ledger_account WHERE name = $1"
_AVAILABLE_FOR_UPDATE = _AVAILABLE + " FOR UPDATE"


async def available(seller_id: str, *, for_update: bool = False) -> int:
    """A seller's available balance. `for_update=True` (inside the caller's transaction) locks the account row
    until it ends, so that a payout reading it and posting against it cannot race another one."""
    sql = _AVAILABLE_FOR_UPDATE if for_update else _AVAILABLE
    rows = await fetch(sql, accounts.available(seller_id))
    return -rows[0]["balance"] if rows else 0


async def available_at_least(minimum: int, limit: int = 100_000) -> list[tuple[str, int]]:
    """Every seller whose available balance is at least `minimum` đồng (> 0), with it, by seller id."""
    rows = await fetch(
        "SELECT seller_id, -balance AS available FROM ledger_account WHERE kind = 'available' AND -balance >= $1 "
        "AND -balance > 0 ORDER BY seller_id LIMIT $2",
        minimum,
        limit,
    )
    return [(row["seller_id"], row["available"]) for row in rows]


LOCK_AVAILABLE_SQL = """
SELECT seller_id, -balance AS available FROM ledger_account
WHERE name = ANY($1::varchar[]) AND -balance >= $2 AND -balance > 0
ORDER BY name FOR UPDATE
"""
# In name order, as postings lock accounts (their balances are upserted in name order), so the two never deadlock.


async def lock_available(seller_ids: Sequence[str], minimum: int) -> list[tuple[str, int]]:
    """Those of these sellers whose available balance is at least `minimum` đồng (> 0), with it, by seller id; their
    available accounts stay locked until the caller's transaction ends, so what the caller moves from them (a payout
    batch) cannot change under it: a posting on the same account waits for it, then sees the move."""
    rows = await fetch(LOCK_AVAILABLE_SQL, [accounts.available(seller_id) for seller_id in seller_ids], minimum)
    return sorted((row["seller_id"], row["available"]) for row in rows)


async def account_balance(name: str) -> int:
    """An account's balance as people read it (positive on its normal side); 0 before its first line."""
    _, _, normal = accounts.describe(name)
    rows = await fetch("SELECT balance FROM ledger_account WHERE name = $1", name)
    return accounts.shown(rows[0]["balance"], normal) if rows else 0


async def platform_balances() -> dict[str, int]:
    """The marketplace's own accounts (every one, zeros included) and the sum of the sellers' in-transit
    balances (`payouts_in_transit`), as people read them."""
    rows = await fetch("SELECT name, normal, balance FROM ledger_account WHERE seller_id IS NULL")
    found = {row["name"]: accounts.shown(row["balance"], row["normal"]) for row in rows}
    transit = await fetch(
        "SELECT coalesce(-sum(balance), 0)::bigint AS s FROM ledger_account WHERE kind = 'in_transit'"
    )
    return {**{name: found.get(name, 0) for name in accounts.PLATFORM}, "payouts_in_transit": transit[0]["s"]}
