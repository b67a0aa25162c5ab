"""Carrier webhooks: authenticated first, then mapped; a signed report we cannot map is kept, never dropped.

The signature check says whether the carrier sent it (a 401 `invalid_signature` when not). A report it did send
but that we cannot apply (an unknown status code, a body we cannot parse, a parcel we do not have) is stored as
received in `carrier_report` and acknowledged with the carrier's success answer: refusing it would only make the
carrier retry forever, and would send an operator chasing the secret. Operators list the kept reports and, after a
fix (a status code mapped in a release, a parcel that now exists), re-apply them; a repeat of a kept report that
now applies closes it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from market.audit import service as audit
from market.core import clock
from market.core.db import fetch, transaction
from market.core.errors import Conflict, NotFound
from market.core.ids import new_id
from market.shipping import service
from market.shipping.carrier import Carrier, UnmappableReport

log = structlog.get_logger(__name__)
REASONS = ("unknown_status", "unparseable", "unknown_parcel")


@dataclass(frozen=True)
class KeptReport:
    """A kept carrier report (a `carrier_report` row): the body as received, why it was not applied, and what
    became of it."""

    id: str
    carrier: str
    transaction_id: str
    receipt_key: str
    body: bytes
    reason: str
    detail: str
    status: str
    outcome: str | None
    deliveries: int
    received_at: datetime
    applied_at: datetime | None
    applied_by: str | None

    @classmethod
    def of(cls, row: Any) -> KeptReport:
        return cls(**dict(row))


async def receive(carrier: Carrier, body: bytes, transaction_id: str) -> str:
    """Apply an authenticated report, or keep it: `applied`, `stale`, `duplicate` or `kept`."""
    try:
        outcome = await service.apply_status(carrier.parse_status(body, transaction_id), carrier.name)
    except UnmappableReport as exc:
        await keep(carrier.name, transaction_id, body, exc)
        return "kept"
    await _close(f"{carrier.name}:{transaction_id}", outcome, f"carrier:{carrier.name}")
    return outcome


async def keep(carrier: str, transaction_id: str, body: bytes, problem: UnmappableReport) -> None:
    """Store a report we cannot apply (once per transaction id; a repeat counts as another delivery)."""
    await fetch(
        "INSERT INTO carrier_report (id, carrier, transaction_id, receipt_key, body, reason, detail, status, "
        "deliveries, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', 1, $8) ON CONFLICT (receipt_key) "
        "DO UPDATE SET deliveries = carrier_report.deliveries + 1",
        new_id("crr"), carrier, transaction_id[:100], f"{carrier}:{transaction_id}"[:140], body, problem.reason,
        problem.detail[:1000], clock.now(),
    )  # fmt: skip
    log.warning("carrier_report_kept", carrier=carrier, transaction_id=transaction_id, reason=problem.reason,
                detail=problem.detail)  # fmt: skip


async def _close(receipt_key: str, outcome: str, actor: str) -> list[Any]:
    return await fetch(
        "UPDATE carrier_report SET status = 'applied', outcome = $2, applied_at = $3, applied_by = $4 "
        "WHERE receipt_key = $1 AND status = 'open' RETURNING *",
        receipt_key[:140], outcome, clock.now(), actor,
    )  # fmt: skip


async def list_reports(reason: str | None, status: str | None, after: str | None, limit: int) -> list[KeptReport]:
    """Kept reports, oldest first (`limit + 1` of them for the page)."""
    rows = await fetch(
        "SELECT * FROM carrier_report WHERE ($1::varchar IS NULL OR reason = $1) "
        "AND ($2::varchar IS NULL OR status = $2) AND ($3::varchar IS NULL OR id > $3) ORDER BY id LIMIT $4",
        reason, status, after, limit + 1,
    )  # fmt: skip
    return [KeptReport.of(row) for row in rows]


async def reapply(report_id: str, carrier: Carrier, actor: str) -> KeptReport:
    """An operator applies a kept report again, after a fix: the report closes with the outcome (audited), or
    stays open with today's reason and a 409 `report_unmappable`. A closed report is answered as it is."""
    rows = await fetch("SELECT * FROM carrier_report WHERE id = $1 AND carrier = $2", report_id, carrier.name)
    if not rows:
        raise NotFound("No such carrier report.")
    kept = KeptReport.of(rows[0])
    if kept.status != "open":
        return kept
    try:
        async with transaction():
            outcome = await service.apply_status(carrier.parse_status(kept.body, kept.transaction_id), carrier.name)
            closed = await _close(kept.receipt_key, outcome, actor)
            await audit.record(actor, "carrier_report.reapplied", "carrier_report", report_id,
                               details={"outcome": outcome, "reason": kept.reason})  # fmt: skip
    except UnmappableReport as exc:
        await fetch("UPDATE carrier_report SET reason = $2, detail = $3 WHERE id = $1", report_id, exc.reason,
                    exc.detail[:1000])  # fmt: skip
        raise Conflict(f"The report still cannot be applied: {exc.detail}", code="report_unmappable",
                       reason=exc.reason) from exc  # fmt: skip
    if not closed:  # another operator re-applied it meanwhile
        return KeptReport.of((await fetch("SELECT * FROM carrier_report WHERE id = $1", report_id))[0])
    return KeptReport.of(closed[0])
