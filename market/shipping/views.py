"""Rows to what crosses HTTP: parcels for each audience (the buyer sees what to pay at the door; the seller and the
operator the books), COD problems and kept carrier reports."""

from __future__ import annotations

from typing import Any

from market.core.schemas import rfc3339
from market.shipping import cod
from market.shipping.schemas import (
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


def problem_out(row: dict[str, Any]) -> CodProblemOut:
    return CodProblemOut(
        row["id"], row["kind"], row["status"], row["detail"], row["parcel_id"], row["seller_order_id"],
        row["tracking_code"], row["batch"], row["amount"], row["expected"], row["collected"],
        rfc3339(row["created_at"]), rfc3339(row["resolved_at"]), row["resolved_by"], row["resolution"],
    )  # fmt: skip


def remittance_out(summary: cod.ImportSummary) -> RemittanceOut:
    return RemittanceOut(summary.batch, summary.lines, summary.matched, summary.repeated, summary.amount,
                         summary.fees, summary.amount - summary.fees,
                         [problem_out(row) for row in summary.problems])  # fmt: skip


def report_out(row: dict[str, Any]) -> CarrierReportOut:
    return CarrierReportOut(
        row["id"], row["carrier"], row["transaction_id"], row["reason"], row["detail"], row["status"], row["outcome"],
        row["deliveries"], bytes(row["body"]).decode("utf-8", errors="replace"), rfc3339(row["received_at"]),
        rfc3339(row["applied_at"]), row["applied_by"],
    )  # fmt: skip
