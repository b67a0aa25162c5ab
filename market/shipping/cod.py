"""Cash on delivery, reconciled per parcel as an accountant would: what the carrier had to collect (the parcel's
`cod_amount`, fixed at packing), what it says it collected (its delivery report's `money_collect`), what its
remittance batches paid over (with the fee it kept back), and the problems an operator must chase.

A problem is a stored row (`cod_problem`), raised once (by its `dedupe_key`) and kept until an operator resolves it
with a note: computed-and-forgotten lists lose the one an operator did not look at in time. A remittance line
settles a parcel only when it matches (the parcel delivered, never paid before, the amount the expected and the
collected one); then the seller order's `cod_remitted` is recorded in the same transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from market.audit import service as audit
from market.core import clock
from market.core.db import fetch, transaction
from market.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from market.core.ids import new_id
from market.orders import service as orders
from market.shipping.carrier import Remittance, RemittanceLine

KINDS = ("paid_twice", "amount_mismatch", "collected_mismatch", "unremitted", "unknown_parcel", "cancelled_parcel",
         "not_delivered")  # fmt: skip
"""What can be wrong with a parcel's cash (the README's "COD reconciliation" says what each means)."""


@dataclass(frozen=True)
class Problem:
    """A problem to raise; `dedupe_key` names it so raising it again changes nothing."""

    kind: str
    dedupe_key: str
    detail: str
    parcel_id: str | None = None
    seller_order_id: str | None = None
    tracking_code: str | None = None
    batch: str | None = None
    amount: int | None = None
    expected: int | None = None
    collected: int | None = None


@dataclass(frozen=True)
class ProblemRecord:
    """A stored COD problem (a `cod_problem` row)."""

    id: str
    kind: str
    status: str
    dedupe_key: str
    parcel_id: str | None
    seller_order_id: str | None
    tracking_code: str | None
    batch: str | None
    amount: int | None
    expected: int | None
    collected: int | None
    detail: str
    created_at: datetime
    resolved_at: datetime | None
    resolved_by: str | None
    resolution: str | None

    @classmethod
    def of(cls, row: Any) -> ProblemRecord:
        return cls(**dict(row))


@dataclass
class ImportSummary:
    """What one import of a batch did: lines new to us, matched, already imported; cash and fees of the new ones."""

    batch: str
    lines: int = 0
    matched: int = 0
    repeated: int = 0
    amount: int = 0
    fees: int = 0
    problems: list[ProblemRecord] = field(default_factory=list)


async def raise_problem(problem: Problem) -> ProblemRecord | None:
    """Store a problem (in the caller's transaction, if any); None when it was raised before."""
    rows = await fetch(
        "INSERT INTO cod_problem (id, kind, status, dedupe_key, parcel_id, seller_order_id, tracking_code, batch, "
        "amount, expected, collected, detail, created_at) VALUES ($1, $2, 'open', $3, $4, $5, $6, $7, $8, $9, $10, "
        "$11, $12) ON CONFLICT (dedupe_key) DO NOTHING RETURNING *",
        new_id("cpb"), problem.kind, problem.dedupe_key, problem.parcel_id, problem.seller_order_id,
        problem.tracking_code, problem.batch, problem.amount, problem.expected, problem.collected, problem.detail,
        clock.now(),
    )  # fmt: skip
    return ProblemRecord.of(rows[0]) if rows else None


async def collected_differs(parcel: dict[str, Any], collected: int) -> None:
    """The delivery report says the carrier collected another amount than the parcel's (caller's transaction; a
    card parcel has nothing to collect, so any cash collected for it differs too)."""
    if collected != parcel["cod_amount"]:
        await raise_problem(Problem(
            "collected_mismatch", f"collected_mismatch:{parcel['id']}",
            f"The carrier reports {collected:,} đ collected; {parcel['cod_amount']:,} đ were due.",
            parcel["id"], parcel["seller_order_id"], parcel["tracking_code"], expected=parcel["cod_amount"],
            collected=collected,
        ))  # fmt: skip


LOCK_PARCELS_SQL = """
SELECT id, seller_order_id, tracking_code, status, cod_amount, cod_collected FROM parcel
WHERE tracking_code = ANY($1::varchar[]) ORDER BY id FOR UPDATE
"""
PAID_SQL = """
SELECT DISTINCT ON (parcel_id) parcel_id, batch FROM cod_remittance_line
WHERE parcel_id = ANY($1::varchar[]) ORDER BY parcel_id, id
"""


async def _locked_parcels(tracking_codes: list[str]) -> dict[str, dict[str, Any]]:
    """The batch's parcels by tracking code, locked in id order (two imports never deadlock, and the second waits
    for the first), each with the first batch that paid cash for it (matched or not: cash came). The payments are
    read after the lock, by a second statement, so they include what the import we waited for committed."""
    parcels = {row["tracking_code"]: dict(row) for row in await fetch(LOCK_PARCELS_SQL, sorted(set(tracking_codes)))}
    paid = await fetch(PAID_SQL, [parcel["id"] for parcel in parcels.values()])
    paid_in = {row["parcel_id"]: row["batch"] for row in paid}
    for parcel in parcels.values():
        parcel["paid_in"] = paid_in.get(parcel["id"])
    return parcels


def _of(parcel: dict[str, Any] | None, key: str) -> Any:
    return None if parcel is None else parcel[key]


def _classify(line: RemittanceLine, parcel: dict[str, Any] | None, batch: str) -> tuple[str, str]:
    """A line's outcome (`matched` or a problem's kind) and, for a problem, what to tell the operator."""
    if parcel is None:
        return "unknown_parcel", f"No parcel of ours has the tracking code {line.tracking_code}."
    if parcel["status"] == "cancelled":
        return "cancelled_parcel", "The parcel was cancelled before pickup: nobody paid cash for it."
    if parcel["paid_in"] is not None:
        return "paid_twice", f"Already paid in batch {parcel['paid_in']}; {batch} pays it again."
    if parcel["status"] != "delivered":
        return "not_delivered", f"The parcel is {parcel['status']}, not delivered, as far as the carrier told us."
    expected, collected = parcel["cod_amount"], parcel["cod_collected"]
    if line.amount != expected or (collected is not None and line.amount != collected):
        return "amount_mismatch", (f"Remitted {line.amount:,} đ; expected {expected:,} đ"
                                   + (f", collected {collected:,} đ." if collected is not None else "."))  # fmt: skip
    return "matched", ""


async def import_remittance(remittance: Remittance, actor: str) -> ImportSummary:
    """Import a COD remittance batch in one transaction: each new line matched to its parcel (recording the seller
    order's remitted cash) or raised as a problem; lines imported before change nothing. One audit event."""
    if not 1 <= len(remittance.batch) <= 64:
        raise ValidationFailed([FieldError("batch", "invalid", "A batch is named with 1 to 64 characters.")])
    summary = ImportSummary(remittance.batch)
    seen: Counter[str] = Counter()
    async with transaction():
        parcels = await _locked_parcels([line.tracking_code for line in remittance.lines])
        for line in remittance.lines:
            key = f"{remittance.batch}:{line.tracking_code}:{seen[line.tracking_code]}"
            seen[line.tracking_code] += 1
            parcel = parcels.get(line.tracking_code)
            outcome, detail = _classify(line, parcel, remittance.batch)
            stored = await fetch(
                "INSERT INTO cod_remittance_line (batch, tracking_code, line_key, amount, fee, parcel_id, "
                "seller_order_id, outcome, expected, imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) "
                "ON CONFLICT (line_key) DO NOTHING RETURNING id",
                remittance.batch, line.tracking_code, key[:100], line.amount, line.fee,
                _of(parcel, "id"), _of(parcel, "seller_order_id"), outcome, _of(parcel, "cod_amount"),
                clock.now(),
            )  # fmt: skip
            if not stored:
                summary.repeated += 1
                continue
            summary.lines, summary.amount, summary.fees = summary.lines + 1, summary.amount + line.amount, \
                summary.fees + line.fee  # fmt: skip
            if parcel is not None:
                parcel["paid_in"] = parcel["paid_in"] or remittance.batch  # again in this batch: paid twice
                await _settle_unremitted(parcel["id"], remittance.batch)
            if outcome == "matched" and parcel is not None:
                summary.matched += 1
                await orders.record_cod_remitted(parcel["seller_order_id"], line.amount, line.fee, remittance.batch)
                continue
            raised = await raise_problem(Problem(
                outcome, f"{outcome}:{key}"[:140], detail, _of(parcel, "id"), _of(parcel, "seller_order_id"),
                line.tracking_code, remittance.batch, line.amount, _of(parcel, "cod_amount"),
                _of(parcel, "cod_collected"),
            ))  # fmt: skip
            if raised is not None:
                summary.problems.append(raised)
        await audit.record(actor, "cod_remittance.imported", "cod_remittance", remittance.batch, details={
            "lines": summary.lines, "matched": summary.matched, "problems": len(summary.problems),
            "repeated": summary.repeated, "amount": summary.amount, "fees": summary.fees,
        })  # fmt: skip
    return summary


@dataclass(frozen=True)
class BatchTotals:
    """A remittance batch as imported: its lines, how many matched, the cash, and the fees kept back (the net is
    what the carrier's bank transfer for it must be)."""

    batch: str
    first_line: int
    imported_at: datetime
    lines: int
    matched: int
    amount: int
    fees: int


async def list_batches(after: int | None, limit: int) -> list[BatchTotals]:
    """Imported batches, newest first (`limit + 1` of them for the page; the cursor is the batch's first line)."""
    rows = await fetch(
        "SELECT batch, min(id) AS first_line, min(imported_at) AS imported_at, count(*) AS lines, "
        "count(*) FILTER (WHERE outcome = 'matched') AS matched, sum(amount) AS amount, sum(fee) AS fees "
        "FROM cod_remittance_line GROUP BY batch HAVING $1::bigint IS NULL OR min(id) < $1 ORDER BY min(id) DESC "
        "LIMIT $2",
        after, limit + 1,
    )  # fmt: skip
    return [BatchTotals(row["batch"], row["first_line"], row["imported_at"], row["lines"], row["matched"],
                        int(row["amount"]), int(row["fees"])) for row in rows]  # fmt: skip


async def _settle_unremitted(parcel_id: str, batch: str) -> None:
    await fetch(
        "UPDATE cod_problem SET status = 'resolved', resolved_at = $3, resolved_by = 'system', resolution = $2 "
        "WHERE parcel_id = $1 AND kind = 'unremitted' AND status = 'open'",
        parcel_id, f"Remitted in batch {batch}.", clock.now(),
    )  # fmt: skip


async def raise_unremitted(today: date, due_days: int) -> int:
    """Raise `unremitted` for every delivered COD parcel that no batch has paid by the end of the `due_days`-th
    Vietnamese day after the day it was delivered; returns how many were raised now (each is raised once)."""
    cutoff = clock.start_of_day(today - timedelta(days=due_days))
    due = await fetch(
        "SELECT p.id, p.seller_order_id, p.tracking_code, p.cod_amount, p.cod_collected, p.delivered_at FROM parcel p "
        "WHERE p.status = 'delivered' AND p.cod_amount > 0 AND p.delivered_at < $1 AND NOT EXISTS (SELECT 1 FROM "
        "cod_remittance_line r WHERE r.parcel_id = p.id) "
        "AND NOT EXISTS (SELECT 1 FROM cod_problem c WHERE c.dedupe_key = 'unremitted:' || p.id) "
        "ORDER BY p.delivered_at",
        cutoff,
    )  # fmt: skip
    raised = 0
    for row in due:
        delivered_on = clock.vietnamese_date(row["delivered_at"])
        raised += await raise_problem(Problem(
            "unremitted", f"unremitted:{row['id']}",
            f"Delivered on {delivered_on.isoformat()}; no batch had paid its {row['cod_amount']:,} đ by "
            f"{(delivered_on + timedelta(days=due_days)).isoformat()}.",
            row["id"], row["seller_order_id"], row["tracking_code"], expected=row["cod_amount"],
            collected=row["cod_collected"],
        )) is not None  # fmt: skip
    return raised


async def list_problems(
    kind: str | None, status: str | None, parcel_id: str | None, after: str | None, limit: int
) -> list[ProblemRecord]:
    """Problems, oldest first (their ids sort by creation), `limit + 1` of them for the page."""
    rows = await fetch(
        "SELECT * FROM cod_problem WHERE ($1::varchar IS NULL OR kind = $1) AND ($2::varchar IS NULL OR status = $2) "
        "AND ($3::varchar IS NULL OR parcel_id = $3) AND ($4::varchar IS NULL OR id > $4) ORDER BY id LIMIT $5",
        kind, status, parcel_id, after, limit + 1,
    )  # fmt: skip
    return [ProblemRecord.of(row) for row in rows]


async def resolve(problem_id: str, note: str, actor: str) -> ProblemRecord:
    """An operator closes a problem with a note (once: a resolved one is a 409 `already_resolved`), audited."""
    note = note.strip()
    if not note:
        raise ValidationFailed([FieldError("note", "required", "Say what was done about it.")])
    async with transaction():
        rows = await fetch(
            "UPDATE cod_problem SET status = 'resolved', resolved_at = $4, resolved_by = $3, resolution = $2 "
            "WHERE id = $1 AND status = 'open' RETURNING *",
            problem_id, note, actor, clock.now(),
        )  # fmt: skip
        if not rows:
            current = await fetch("SELECT status FROM cod_problem WHERE id = $1", problem_id)
            if not current:
                raise NotFound("No such COD problem.")
            raise Conflict("This problem is already resolved.", code="already_resolved")
        await audit.record(actor, "cod_problem.resolved", "cod_problem", problem_id, reason=note,
                           details={"kind": rows[0]["kind"], "parcel_id": rows[0]["parcel_id"]})  # fmt: skip
    return ProblemRecord.of(rows[0])


@dataclass(frozen=True)
class Reconciliation:
    """A parcel's cash as the books see it (None where nothing happened yet)."""

    expected: int
    collected: int | None
    remitted: int | None
    remittance_fee: int | None
    carrier_fee: int | None
    batches: list[str]
    open_problems: int

    @property
    def net_remitted(self) -> int | None:
        return None if self.remitted is None else self.remitted - (self.remittance_fee or 0)

    @property
    def status(self) -> str:
        """problem, remitted, collected, or awaiting_collection."""
        if self.open_problems:
            return "problem"
        if self.remitted is not None:
            return "remitted"
        return "collected" if self.collected is not None else "awaiting_collection"


async def reconciliations(parcels: list[dict[str, Any]]) -> dict[str, Reconciliation]:
    """The reconciliation of each parcel (by parcel id): the cash every batch paid for it (matched or not: a parcel
    paid twice shows both payments) and its open problems, in two reads."""
    ids = [parcel["id"] for parcel in parcels]
    paid = await fetch(
        "SELECT parcel_id, sum(amount) AS amount, sum(fee) AS fee, array_agg(batch ORDER BY id) AS batches "
        "FROM cod_remittance_line WHERE parcel_id = ANY($1::varchar[]) GROUP BY parcel_id",
        ids,
    )
    problems = await fetch(
        "SELECT parcel_id, count(*) AS open FROM cod_problem WHERE parcel_id = ANY($1::varchar[]) AND status = 'open' "
        "GROUP BY parcel_id",
        ids,
    )
    by_paid = {row["parcel_id"]: row for row in paid}
    by_problems = {row["parcel_id"]: row["open"] for row in problems}
    found = {}
    for parcel in parcels:
        line = by_paid.get(parcel["id"])
        found[parcel["id"]] = Reconciliation(
            parcel["cod_amount"], parcel["cod_collected"], line and int(line["amount"]), line and int(line["fee"]),
            parcel["carrier_fee"], list(line["batches"]) if line else [], int(by_problems.get(parcel["id"], 0)),
        )  # fmt: skip
    return found
