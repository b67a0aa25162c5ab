"""Rows to what crosses HTTP: parcels for each audience (the buyer sees what to pay at the door; the seller and the
operator the books), COD problems and kept carrier reports."""

from __future__ import annotations

from typing import Any

from market.core.schemas import rfc3339
from market.shipping import cod
from market.shipping.reports import KeptReport
from market.shipping.schemas import (
    BatchOut,
    CarrierReportOut,
    CodOut,
    CodProblemOut,
    ParcelOut,
    ReconciliationOut,
    RemittanceOut,
    TrackingEventOut,
)


async def parcels_out(found: dict[str, dict[str, Any]], *, books: bool) -> list[ParcelOut]:
    """Parcels with their timelines (from `service.timeline`); `books`: with their COD reconciliation."""
    rows = [item["parcel"] for item in found.values()]
    ledgers = await cod.reconciliations([row for row in rows if row["cod_amount"] > 0]) if books else {}
    return [_parcel(item, ledgers.get(item["parcel"]["id"])) for item in found.values()]


def _parcel(found: dict[str, Any], books: cod.Reconciliation | None) -> ParcelOut:
    parcel = found["parcel"]
    timeline = [TrackingEventOut(e["status"], e["status_name"], e["location"], e["note"], rfc3339(e["happened_at"]),
                                 e["applied"]) for e in found["events"]]  # fmt: skip
    door = CodOut(parcel["cod_amount"], parcel["cod_collected"] is not None) if parcel["cod_amount"] > 0 else None
    ledger = None if books is None else ReconciliationOut(
        books.expected, books.collected, books.remitted, books.remittance_fee, books.net_remitted, books.carrier_fee,
        books.batches, books.status, books.open_problems,
    )  # fmt: skip
    return ParcelOut(parcel["id"], parcel["seller_order_id"], parcel["carrier"], parcel["status"],
                     parcel["tracking_code"], parcel["label_url"], parcel["fee"], parcel["cod_amount"],
                     parcel["attempts"], parcel["last_error"], timeline, door, ledger)  # fmt: skip


def problem_out(problem: cod.ProblemRecord) -> CodProblemOut:
    return CodProblemOut(
        problem.id, problem.kind, problem.status, problem.detail, problem.parcel_id, problem.seller_order_id,
        problem.tracking_code, problem.batch, problem.amount, problem.expected, problem.collected,
        rfc3339(problem.created_at), rfc3339(problem.resolved_at), problem.resolved_by, problem.resolution,
    )  # fmt: skip


def remittance_out(summary: cod.ImportSummary) -> RemittanceOut:
    return RemittanceOut(summary.batch, summary.lines, summary.matched, summary.repeated, summary.amount,
                         summary.fees, summary.amount - summary.fees,
                         [problem_out(problem) for problem in summary.problems])  # fmt: skip


def report_out(report: KeptReport) -> CarrierReportOut:
    return CarrierReportOut(
        report.id, report.carrier, report.transaction_id, report.reason, report.detail, report.status,
        report.outcome, report.deliveries, bytes(report.body).decode("utf-8", errors="replace"),
        rfc3339(report.received_at), rfc3339(report.applied_at), report.applied_by,
    )  # fmt: skip


def batch_out(batch: cod.BatchTotals) -> BatchOut:
    return BatchOut(batch.batch, rfc3339(batch.imported_at), batch.lines, batch.matched, batch.amount, batch.fees,
                    batch.amount - batch.fees)  # fmt: skip
