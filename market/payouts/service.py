"""Payout batches: who is paid, how much, and where each transfer stands.

Creating a batch takes every seller whose available balance is at least `PAYOUT_MINIMUM_VND` and whose bank
account is past its cooling-off, gives each one line for its whole available balance, and moves that money from
available to in transit in the ledger, all in one transaction. Batch creations are serialised by a transaction
advisory lock, so two of them never read the same available balance; a partial unique index on the pending lines
(one per seller) says the same in the database. A batch is known by its period (`start/end`, unique) and by the
operator's Idempotency-Key: creating it again answers the first.

A line is then marked paid (with the bank's reference: in transit -> the marketplace's bank account) or failed
(in transit -> available); a paid line the bank sends back is returned (bank -> available). Each move is a ledger
entry whose source is `payout_line:<id>:<move>`, so marking twice posts once; marking with other facts (another
bank reference, failing a paid line) is a 409.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from market.audit import service as audit
from market.core import clock
from market.core.db import fetch, transaction
from market.core.errors import Conflict, NotFound, field_error
from market.core.idempotency.service import IdempotencyKeyReused
from market.core.ids import new_id, new_ids
from market.core.outbox.service import record
from market.ledger import accounts as ledger_accounts
from market.ledger.service import Move, Posting, credit, debit, lock_available, move_seller_money, post_many
from market.payouts import accounts as bank_accounts

LineStatus = Literal["pending", "paid", "failed", "returned"]
MAX_LINES = 1_000_000


class NothingToPay(Conflict):
    code = "nothing_to_pay"


@dataclass(frozen=True)
class Batch:
    """A payout batch and its counts by line status."""

    id: str
    number: int
    period_start: date
    period_end: date
    actor: str
    line_count: int
    total: int
    exported_at: datetime | None
    created_at: datetime
    pending: int = 0
    paid: int = 0
    failed: int = 0
    returned: int = 0

    @property
    def status(self) -> str:
        return "open" if self.pending else "settled"


@dataclass(frozen=True)
class Line:
    """One seller's transfer in a batch (`pol_...`)."""

    id: str
    batch_id: str
    seller_id: str
    bank_account_id: str
    bank_bin: str
    account_number: str
    holder_name: str
    amount: int
    reference: str
    status: str
    bank_reference: str | None
    reason: str | None
    paid_at: datetime | None
    failed_at: datetime | None
    returned_at: datetime | None
    created_at: datetime


def _line(row: Any) -> Line:
    return Line(**{name: row[name] for name in Line.__dataclass_fields__})


BATCH_SQL = """
SELECT b.*, count(*) FILTER (WHERE l.status = 'pending') AS pending,
       count(*) FILTER (WHERE l.status = 'paid') AS paid, count(*) FILTER (WHERE l.status = 'failed') AS failed,
       count(*) FILTER (WHERE l.status = 'returned') AS returned
FROM payout_batch b LEFT JOIN payout_line l ON l.batch_id = b.id
"""


def _batch(row: Any) -> Batch:
    return Batch(**{name: row[name] for name in Batch.__dataclass_fields__})


async def get_batch(batch_id: str) -> Batch:
    rows = await fetch(BATCH_SQL + " WHERE b.id = $1 GROUP BY b.id", batch_id)
    if not rows:
        raise NotFound("No such payout batch.")
    return _batch(rows[0])


async def list_batches(before: int | None, limit: int) -> list[Batch]:
    """Batches, newest first (keyset on the batch number)."""
    rows = await fetch(
        BATCH_SQL + " WHERE ($1::int IS NULL OR b.number < $1) GROUP BY b.id ORDER BY b.number DESC LIMIT $2",
        before,
        limit,
    )
    return [_batch(row) for row in rows]


async def lines_of(batch_id: str, after: str | None = None, limit: int = MAX_LINES) -> list[Line]:
    """A batch's lines in their order (by reference)."""
    rows = await fetch(
        "SELECT * FROM payout_line WHERE batch_id = $1 AND ($2::varchar IS NULL OR reference > $2) "
        "ORDER BY reference LIMIT $3",
        batch_id,
        after,
        limit,
    )
    return [_line(row) for row in rows]


async def get_line(batch_id: str, line_id: str) -> Line:
    rows = await fetch("SELECT * FROM payout_line WHERE id = $1 AND batch_id = $2", line_id, batch_id)
    if not rows:
        raise NotFound("No such payout line in this batch.")
    return _line(rows[0])


async def seller_payouts(seller_id: str, before: tuple[datetime, str] | None, limit: int) -> list[Line]:
    """A seller's payouts, newest first."""
    rows = await fetch(
        "SELECT * FROM payout_line WHERE seller_id = $1 AND ($2::timestamptz IS NULL OR (created_at, id) < ($2, $3)) "
        "ORDER BY created_at DESC, id DESC LIMIT $4",
        seller_id,
        before[0] if before else None,
        before[1] if before else "",
        limit,
    )
    return [_line(row) for row in rows]


async def seller_payout(seller_id: str, payout_id: str) -> Line:
    rows = await fetch("SELECT * FROM payout_line WHERE id = $1 AND seller_id = $2", payout_id, seller_id)
    if not rows:
        raise NotFound("No such payout.")
    return _line(rows[0])


def reference(number: int, position: int) -> str:
    """The transfer text of a line, ASCII and at most 25 characters (it is also the VietQR purpose)."""
    return f"CNS PO{number:05d} {position:05d}"


INSERT_LINES_SQL = """
INSERT INTO payout_line (id, batch_id, seller_id, bank_account_id, bank_bin, account_number, holder_name, amount,
                         reference, status, created_at)
SELECT x.id, $1, b.seller_id, b.id, b.bank_bin, b.account_number, b.holder_name, x.amount, x.reference, 'pending', $2
FROM unnest($3::varchar[], $4::varchar[], $5::bigint[], $6::varchar[]) AS x(id, account_id, amount, reference)
JOIN seller_bank_account b ON b.id = x.account_id
"""
# The bank account's details are copied onto the line (what was paid where stays true when the account changes).


async def create_batch(
    period_start: date, period_end: date, *, actor: str, minimum: int, request_key: str | None = None
) -> tuple[Batch, bool]:
    """Create the payout batch of a period, or find it (by period, or by `request_key`); returns it and whether it
    was created now.

    Raises:
        ValidationFailed: `period_end` before `period_start` (`invalid_range`).
        IdempotencyKeyReused: `request_key` was used for the batch of another period (422).
        NothingToPay: no seller has `minimum` available and a cooled-off bank account (409).
    """
    if period_end < period_start:
        raise field_error("period_end", "invalid_range", "The period ends before it starts.")
    period_key = f"{period_start.isoformat()}/{period_end.isoformat()}"
    async with transaction():
        await fetch("SELECT pg_advisory_xact_lock(hashtext('payout_batch'))")
        # The statements below take arrays of every line; PostgreSQL's estimates for unnest() over them are blind
        # (a million rows), which made it JIT-compile the ledger's posting statement: 1.5 s of a 2 s batch of
        # 10,000 lines (tests/bench/payouts.py). Without JIT, for this transaction only.
        await fetch("SET LOCAL jit = off")
        existing = await _existing(period_key, request_key)
        if existing is not None:
            return existing, False
        now = clock.now()
        bank = await bank_accounts.cooled_off(now)
        paid = await lock_available(list(bank), minimum)
        if not paid:
            raise NothingToPay("No seller has the minimum available and a bank account past its cooling-off.")
        number = (await fetch("SELECT coalesce(max(number), 0) + 1 AS n FROM payout_batch"))[0]["n"]
        batch_id, total = new_id("pob"), sum(amount for _, amount in paid)
        await fetch(
            "INSERT INTO payout_batch (id, number, period_start, period_end, period_key, request_key, actor, "
            "line_count, total, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
            batch_id, number, period_start, period_end, period_key, request_key, actor, len(paid), total, now,
        )  # fmt: skip
        ids = new_ids("pol", len(paid))
        await fetch(INSERT_LINES_SQL, batch_id, now, ids, [bank[seller_id] for seller_id, _ in paid],
                    [amount for _, amount in paid],
                    [reference(number, n) for n in range(1, len(paid) + 1)])  # fmt: skip
        moves = [Move(f"payout_line:{line_id}:reserved", seller_id, amount)
                 for line_id, (seller_id, amount) in zip(ids, paid, strict=True)]  # fmt: skip
        await move_seller_money(moves, "available", "in_transit", kind="payout_reserved",
                                memo=f"Chi trả đợt {number}", at=now)  # fmt: skip
        await audit.record(actor, "payout_batch.created", "payout_batch", batch_id, details={
            "number": number, "period": period_key, "lines": len(paid), "total": total})  # fmt: skip
    return await get_batch(batch_id), True


async def _existing(period_key: str, request_key: str | None) -> Batch | None:
    if request_key is not None:
        rows = await fetch("SELECT id, period_key FROM payout_batch WHERE request_key = $1", request_key)
        if rows and rows[0]["period_key"] != period_key:
            raise IdempotencyKeyReused("This Idempotency-Key created the batch of another period; use a new key.")
        if rows:
            return await get_batch(rows[0]["id"])
    rows = await fetch("SELECT id FROM payout_batch WHERE period_key = $1", period_key)
    return await get_batch(rows[0]["id"]) if rows else None


async def mark_exported(batch_id: str, actor: str) -> Batch:
    """Record the batch's first export (audited once); later exports change nothing."""
    async with transaction():
        rows = await fetch(
            "UPDATE payout_batch SET exported_at = $2 WHERE id = $1 AND exported_at IS NULL RETURNING id",
            batch_id,
            clock.now(),
        )
        if rows:
            await audit.record(actor, "payout_batch.exported", "payout_batch", batch_id)
    return await get_batch(batch_id)


# What each mark does: the status it needs, the status it sets, its time column, the ledger move and the event.
_MOVES: dict[str, tuple[str, str, str, str]] = {
    "paid": ("pending", "paid_at", "payout.paid", "Chuyển khoản chi trả thành công"),
    "failed": ("pending", "failed_at", "payout.failed", "Chi trả không thành công, hoàn số dư khả dụng"),
    "returned": ("paid", "returned_at", "payout.returned", "Ngân hàng trả lại tiền chi trả"),
}


def _ledger_lines(move: str, line: Line) -> list[Any]:
    available, transit = ledger_accounts.available(line.seller_id), ledger_accounts.in_transit(line.seller_id)
    bank = ledger_accounts.BANK_CLEARING
    if move == "paid":
        return [debit(transit, line.amount), credit(bank, line.amount)]
    if move == "failed":
        return [debit(transit, line.amount), credit(available, line.amount)]
    return [debit(bank, line.amount), credit(available, line.amount)]


async def mark(
    batch_id: str, line_id: str, move: str, *, actor: str, bank_reference: str | None = None, reason: str | None = None
) -> tuple[Line, bool]:
    """Mark a line paid, failed or returned; returns it and whether it changed now. Marking again with the same
    facts (a paid line with its bank reference, a failed or returned line) changes nothing.

    Raises:
        NotFound: no such line in this batch.
        Conflict: `payout_line_settled` when the line is not in the status the move needs (with
            `current_status`), or is paid with another bank reference.
    """
    needed, at_column, event, memo = _MOVES[move]
    async with transaction():
        rows = await fetch("SELECT * FROM payout_line WHERE id = $1 AND batch_id = $2 FOR UPDATE", line_id, batch_id)
        if not rows:
            raise NotFound("No such payout line in this batch.")
        line = _line(rows[0])
        if line.status == move and (move != "paid" or line.bank_reference == bank_reference):
            return line, False
        if line.status != needed:
            raise Conflict(f"This payout is {line.status}; it cannot be marked {move}.", code="payout_line_settled",
                           current_status=line.status)  # fmt: skip
        now = clock.now()
        rows = await fetch(
            f"UPDATE payout_line SET status = $2, {at_column} = $3, "  # noqa: S608 (a column of _MOVES)
            "bank_reference = coalesce($4, bank_reference), reason = coalesce($5, reason) WHERE id = $1 RETURNING *",
            line_id, move, now, bank_reference, reason,
        )  # fmt: skip
        line = _line(rows[0])
        await post_many([Posting(f"payout_line:{line.id}:{move}", _ledger_lines(move, line), memo,
                                 kind=f"payout_{move}", seller_id=line.seller_id, at=now)])  # fmt: skip
        await audit.record(actor, f"payout_line.{move}", "payout_line", line.id, reason=reason, details={
            "batch_id": batch_id, "seller_id": line.seller_id, "amount": line.amount,
            "bank_reference": line.bank_reference})  # fmt: skip
        payload: dict[str, Any] = {"payout_id": line.id, "batch_id": batch_id, "seller_id": line.seller_id,
                                   "amount": line.amount, "reference": line.reference}  # fmt: skip
        if move != "paid":
            payload["reason"] = reason or ""
        await record(event, payload)
    return line, True
