"""Handing packed seller orders to the carrier, following their parcels, and reconciling the cash they collect.

Handoff: packing opens a parcel row (pending); the worker claims due parcels with a lease (`FOR UPDATE SKIP
LOCKED`), and for each one that has been tried before it first asks the carrier for a parcel with our reference,
so timeouts, retries and crashes never make a second one. Failures back off exponentially with jitter; after
`MAX_ATTEMPTS` the parcel is parked for operators to retry.

Tracking: each status report is stored once (by its transaction id) in the timeline and applied only when it is
newer than the latest applied one (carriers deliver out of order; their advice is to order by the status's time).
"""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from market.audit import service as audit
from market.core.db import fetch, transaction
from market.core.errors import Conflict, NotFound
from market.core.ids import new_id
from market.core.outbox.service import record
from market.orders import service as orders
from market.returns import decisions as returns
from market.returns import service as return_service
from market.shipping import cod
from market.shipping.carrier import (
    Carrier,
    CarrierUnavailable,
    DuplicateReference,
    ParcelRequest,
    Party,
    StatusReport,
    UnmappableReport,
)

log = structlog.get_logger(__name__)
MAX_ATTEMPTS = 8
BACKOFF_BASE_S = 2.0
BACKOFF_CAP_S = 900.0
LEASE_S = 60


async def open_parcel(seller_order_id: str, carrier: str) -> None:
    """A packed seller order waits for its parcel (inside the caller's transaction; once per seller order)."""
    await fetch(
        "INSERT INTO parcel (id, seller_order_id, carrier, reference, status, cod_amount, attempts, next_attempt_at, "
        "created_at, updated_at) SELECT $1, id, $3, id, 'pending', cod_amount, 0, now(), now(), now() "
        "FROM seller_order WHERE id = $2 ON CONFLICT (seller_order_id) DO NOTHING",
        new_id("pcl"), seller_order_id, carrier,
    )  # fmt: skip


async def open_return_parcel(return_id: str, carrier: str) -> None:
    """An accepted return waits for its parcel from the buyer back to the seller (inside the caller's transaction;
    once per return). Its reference at the carrier is the return's id; nothing is collected on it."""
    await fetch(
        "INSERT INTO parcel (id, seller_order_id, kind, return_id, carrier, reference, status, cod_amount, attempts, "
        "next_attempt_at, created_at, updated_at) VALUES ($1, NULL, 'return', $2, $3, $2, 'pending', 0, 0, now(), "
        "now(), now()) ON CONFLICT (return_id) DO NOTHING",
        new_id("pcl"), return_id, carrier,
    )  # fmt: skip


async def return_parcels(return_ids: list[str]) -> dict[str, dict[str, Any]]:
    """The return parcels of these returns, by return id."""
    rows = await fetch("SELECT * FROM parcel WHERE return_id = ANY($1::varchar[])", return_ids)
    return {row["return_id"]: dict(row) for row in rows}


async def claim_due(limit: int) -> list[dict[str, Any]]:
    """Parcels due for an attempt, leased to this worker for a minute (another worker skips them)."""
    rows = await fetch(
        "UPDATE parcel SET next_attempt_at = now() + make_interval(secs => $2), updated_at = now() "
        "WHERE id IN (SELECT id FROM parcel WHERE status = 'pending' AND next_attempt_at <= now() "
        "ORDER BY next_attempt_at LIMIT $1 FOR UPDATE SKIP LOCKED) RETURNING *",
        limit, float(LEASE_S),
    )  # fmt: skip
    return [dict(row) for row in rows]


HANDOFF_SQL = """
SELECT so.id, so.weight_g, so.total, so.cod_amount, so.shipping_service, o.shipping_address, s.display_name,
       s.pickup_address
FROM seller_order so JOIN orders o ON o.id = so.order_id JOIN seller s ON s.id = so.seller WHERE so.id = $1
"""


def _parties(row: dict[str, Any]) -> tuple[Party, Party]:
    """The seller's pickup address and the buyer's shipping address of a seller order, as parties."""
    to, pickup = json.loads(row["shipping_address"]), json.loads(row["pickup_address"])
    seller = Party(pickup.get("contact_name") or row["display_name"], pickup["phone"], pickup["street"],
                   pickup["ward_code"], pickup["province_code"])  # fmt: skip
    return seller, Party(to["recipient_name"], to["phone"], to["street"], to["ward_code"], to["province_code"])


async def _return_request(parcel: dict[str, Any]) -> ParcelRequest:
    """A return parcel goes the other way: from the buyer's shipping address to the seller's pickup address."""
    contents = await return_service.parcel_contents(parcel["return_id"])
    row = (await fetch(HANDOFF_SQL, contents.seller_order_id))[0]
    seller, buyer = _parties(row)
    return ParcelRequest(
        reference=parcel["reference"],
        sender=buyer,
        receiver=seller,
        weight_g=contents.weight_g,
        declared_value=contents.declared_value,
        cod_amount=0,
        service=row["shipping_service"],
    )


async def _request(parcel: dict[str, Any]) -> ParcelRequest:
    if parcel.get("kind") == "return":
        return await _return_request(parcel)
    row = (await fetch(HANDOFF_SQL, parcel["seller_order_id"]))[0]
    seller, buyer = _parties(row)
    return ParcelRequest(
        reference=parcel["reference"], sender=seller, receiver=buyer,
        weight_g=row["weight_g"], declared_value=row["total"], cod_amount=row["cod_amount"],
        service=row["shipping_service"],
    )  # fmt: skip


async def hand_over(parcel: dict[str, Any], carrier: Carrier) -> str:
    """One attempt to put a parcel at the carrier: `created`, `retry` or `parked`."""
    try:
        found = await carrier.find(parcel["reference"]) if parcel["attempts"] else None
        if found is None:
            try:
                found = await carrier.create_parcel(await _request(parcel))
            except DuplicateReference:
                found = await carrier.find(parcel["reference"])
        if found is None:
            raise CarrierUnavailable("the carrier refused the parcel and does not have it")
    except CarrierUnavailable as exc:
        return await _failed(parcel, str(exc))
    async with transaction():
        moved = await fetch(
            "UPDATE parcel SET status = 'created', tracking_code = $2, label_url = $3, fee = $4, last_error = NULL, "
            "next_attempt_at = NULL, attempts = attempts + 1, updated_at = now() WHERE id = $1 AND status = 'pending' "
            "RETURNING seller_order_id",
            parcel["id"], found.tracking_code, found.label_url, found.fee,
        )  # fmt: skip
        if moved:
            await record("parcel.created", {"parcel_id": parcel["id"], "seller_order_id": moved[0]["seller_order_id"],
                                            "tracking_code": found.tracking_code})  # fmt: skip
    return "created"


async def withdraw(seller_order_id: str, carrier: Carrier | None) -> str | None:
    """Withdraw the parcel of a cancelled seller order: cancelled at the carrier when it was created there (before
    pickup), dropped from the queue when it was not. Idempotent."""
    rows = await fetch("SELECT id, status, tracking_code FROM parcel WHERE seller_order_id = $1", seller_order_id)
    if not rows or rows[0]["status"] not in ("pending", "parked", "created"):
        return None
    parcel = rows[0]
    if parcel["status"] == "created" and carrier is not None and parcel["tracking_code"]:
        await carrier.cancel(parcel["tracking_code"])  # a CarrierUnavailable here retries the event later
    await fetch(
        "UPDATE parcel SET status = 'cancelled', next_attempt_at = NULL, updated_at = now() "
        "WHERE id = $1 AND status IN ('pending', 'parked', 'created')",
        parcel["id"],
    )
    return "cancelled"


def backoff_s(attempts: int) -> float:
    """Exponential backoff with jitter: 2, 4, 8 ... seconds (capped at 15 minutes), each between half and all."""
    ceiling: float = min(BACKOFF_CAP_S, BACKOFF_BASE_S * 2 ** max(attempts - 1, 0))
    return ceiling * random.uniform(0.5, 1.0)  # noqa: S311 - spreading retries, not a secret


async def _failed(parcel: dict[str, Any], error: str) -> str:
    attempts = parcel["attempts"] + 1
    parked = attempts >= MAX_ATTEMPTS
    async with transaction():  # a parked parcel is news to its seller (market.notifications): `parcel.parked`
        moved = await fetch(
            "UPDATE parcel SET attempts = $2, last_error = $3, status = CASE WHEN $4 THEN 'parked' ELSE status END, "
            "next_attempt_at = CASE WHEN $4 THEN NULL ELSE now() + make_interval(secs => $5) END, updated_at = now() "
            "WHERE id = $1 AND status = 'pending' RETURNING seller_order_id, return_id",
            parcel["id"], attempts, error[:500], parked, backoff_s(attempts),
        )  # fmt: skip
        if moved and parked:
            await record("parcel.parked", {"parcel_id": parcel["id"], "seller_order_id": moved[0]["seller_order_id"],
                                           "return_id": moved[0]["return_id"], "error": error[:200]})  # fmt: skip
    log.warning("handoff_failed", parcel_id=parcel["id"], attempts=attempts, parked=parked, error=error)
    return "parked" if parked else "retry"


async def retry(parcel_id: str, actor: str) -> dict[str, Any]:
    """An operator sends a parked parcel back to the queue (audited with the error it was parked on)."""
    async with transaction():
        rows = await fetch(
            "UPDATE parcel SET status = 'pending', attempts = 0, next_attempt_at = now(), updated_at = now() "
            "WHERE id = $1 AND status = 'parked' RETURNING *",
            parcel_id,
        )
        if not rows:
            current = await fetch("SELECT status FROM parcel WHERE id = $1", parcel_id)
            if not current:
                raise NotFound("No such parcel.")
            raise Conflict("Only a parked parcel can be retried.", code="not_parked",
                           current_status=current[0]["status"])  # fmt: skip
        await audit.record(actor, "parcel.retried", "parcel", parcel_id, details={
            "seller_order_id": rows[0]["seller_order_id"], "last_error": rows[0]["last_error"]})  # fmt: skip
    return dict(rows[0])


PROGRESS = {"created": 0, "picked_up": 1, "in_transit": 2, "delivery_failed": 3, "delivered": 4, "returning": 5,
            "returned": 6, "cancelled": 7}  # fmt: skip


def _is_newer(report: StatusReport, parcel: dict[str, Any]) -> bool:
    """Later by the carrier's clock; at the same second (its clock has no finer grain), further along the way."""
    last = parcel["last_status_at"]
    if last is None or report.happened_at > last:
        return True
    return report.happened_at == last and PROGRESS[report.status] > PROGRESS.get(parcel["status"], 0)


async def apply_status(report: StatusReport, carrier: str) -> str:
    """Record a status report once and apply it when it is the newest: `applied`, `stale` or `duplicate`.

    Raises:
        UnmappableReport: `unknown_parcel` when no parcel has its tracking or order code (nothing is written).
    """
    async with transaction():
        parcels = await fetch(
            "SELECT * FROM parcel WHERE tracking_code = $1 OR reference = $2 ORDER BY tracking_code = $1 DESC "
            "LIMIT 1 FOR UPDATE",
            report.tracking_code, report.reference,
        )  # fmt: skip
        if not parcels:
            raise UnmappableReport("unknown_parcel", f"No parcel has the tracking code {report.tracking_code!r} or "
                                   f"the order code {report.reference!r}.")  # fmt: skip
        parcel = dict(parcels[0])
        newest = _is_newer(report, parcel)
        stored = await fetch(
            "INSERT INTO parcel_event (parcel_id, transaction_id, status, status_code, status_name, note, location, "
            "happened_at, money_collect, applied, received_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now()) "
            "ON CONFLICT (transaction_id) DO NOTHING RETURNING id",
            parcel["id"], report.transaction_id, report.status, report.status_code, report.status_name, report.note,
            report.location, report.happened_at, report.money_collect, newest,
        )  # fmt: skip
        if not stored:
            return "duplicate"
        if not newest:
            return "stale"
        await _move(parcel, report)
        await _follow(parcel, report, carrier)
    return "applied"


async def _move(parcel: dict[str, Any], report: StatusReport) -> None:
    """The parcel where the carrier says it is. The carrier has it, so an old handoff error no longer applies and
    the handoff queue forgets it; a delivery records the carrier's time and the cash it says it collected."""
    delivered = report.status == "delivered"
    await fetch(
        "UPDATE parcel SET status = $2, last_status_at = $3, tracking_code = coalesce(tracking_code, $4), "
        "last_error = NULL, next_attempt_at = NULL, carrier_fee = CASE WHEN $5 > 0 THEN $5 ELSE carrier_fee END, "
        "delivered_at = CASE WHEN $6 THEN $3 ELSE delivered_at END, "
        "cod_collected = CASE WHEN $6 AND cod_amount > 0 THEN $7 ELSE cod_collected END, updated_at = now() "
        "WHERE id = $1",
        parcel["id"], report.status, report.happened_at, report.tracking_code, report.total_fee, delivered,
        report.money_collect,
    )  # fmt: skip
    if delivered:
        await cod.collected_differs({**parcel, "tracking_code": parcel["tracking_code"] or report.tracking_code},
                                    report.money_collect)  # fmt: skip


async def _follow(parcel: dict[str, Any], report: StatusReport, carrier: str) -> None:
    """What the parcel's move does to its seller order, or for a return parcel to its return."""
    if parcel["kind"] == "return":
        await returns.follow_parcel(parcel["return_id"], report.status, f"carrier:{carrier}", report.status_name)
        return
    await orders.follow_carrier(parcel["seller_order_id"], report.status, f"carrier:{carrier}", report.status_name,
                                report.money_collect, report.tracking_code, report.happened_at)  # fmt: skip


@dataclass(frozen=True)
class ParcelKey:
    """A parcel's place in the operators' list: (created_at, id), and whose parcel it is (a seller order, or a
    return by its id)."""

    created_at: datetime
    id: str
    owner: str


async def parcels_page(status: str | None, after: tuple[datetime, str] | None, limit: int) -> list[ParcelKey]:
    """Parcels in `status` (any, when None), oldest first, after the keyset `after`: `limit` + 1 of them (page_of)."""
    rows = await fetch(
        "SELECT created_at, id, coalesce(seller_order_id, return_id) AS owner FROM parcel "
        "WHERE ($1::varchar IS NULL OR status = $1) AND ($2::timestamptz IS NULL OR (created_at, id) > ($2, $3)) "
        "ORDER BY created_at, id LIMIT $4",
        status,
        after[0] if after else None,
        after[1] if after else None,
        limit + 1,
    )
    return [ParcelKey(row["created_at"], row["id"], row["owner"]) for row in rows]


async def timeline(seller_order_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Parcel and status timeline (in the order of the carrier's times) of each seller order that has a parcel
    (and of each return, by its id, that has a return parcel)."""
    parcels = await fetch("SELECT * FROM parcel WHERE seller_order_id = ANY($1::varchar[]) "
                          "OR return_id = ANY($1::varchar[])", seller_order_ids)  # fmt: skip
    events = await fetch(
        "SELECT * FROM parcel_event WHERE parcel_id = ANY($1::varchar[]) ORDER BY happened_at, id",
        [row["id"] for row in parcels],
    )
    events = sorted(events, key=lambda e: (e["happened_at"], PROGRESS.get(e["status"], 0), e["id"]))
    found: dict[str, dict[str, Any]] = {}
    for parcel in parcels:
        found[parcel["seller_order_id"] or parcel["return_id"]] = {
            "parcel": dict(parcel),
            "events": [dict(e) for e in events if e["parcel_id"] == parcel["id"]],
        }
    return found  # fmt: skip
