"""What crosses HTTP for parcels, tracking, COD reconciliation and kept carrier reports (msgspec)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from market.core.schemas import Input

ProblemKind = Literal["paid_twice", "amount_mismatch", "collected_mismatch", "unremitted", "unknown_parcel",
                      "cancelled_parcel", "not_delivered"]  # fmt: skip
ProblemStatus = Literal["open", "resolved"]
ParcelStatus = Literal["pending", "created", "picked_up", "in_transit", "delivered", "delivery_failed", "returning",
                       "returned", "cancelled", "parked"]  # fmt: skip
ReportReason = Literal["unknown_status", "unparseable", "unknown_parcel"]
ReportStatus = Literal["open", "applied"]


class TrackingEventOut(msgspec.Struct):
    status: str
    status_name: str
    location: str | None
    note: str | None
    at: str | None
    applied: bool


class CodOut(msgspec.Struct):
    """What the buyer pays at the door, and whether the carrier has collected it."""

    amount: int
    paid_at_door: bool
    currency: str = "VND"


class ReconciliationOut(msgspec.Struct):
    """A COD parcel's cash for the seller and the operator: due, collected at the door, paid over by the carrier's
    batches (gross, with the fee it kept back and the net), the fee it reported, and the open problems."""

    expected: int
    collected: int | None
    remitted: int | None
    remittance_fee: int | None
    net_remitted: int | None
    carrier_fee: int | None
    batches: list[str]
    status: str
    open_problems: int
    currency: str = "VND"


class ParcelOut(msgspec.Struct):
    id: str
    seller_order_id: str | None  # None for a return parcel (see `market.returns`)
    carrier: str
    status: str
    tracking_code: str | None
    label_url: str | None
    fee: int | None
    cod_amount: int
    attempts: int
    last_error: str | None
    timeline: list[TrackingEventOut]
    cod: CodOut | None = None
    reconciliation: ReconciliationOut | None = None
    object: str = "parcel"


class CarrierAck(msgspec.Struct):
    code: str
    transaction: str


class CodProblemOut(msgspec.Struct):
    id: str
    kind: str
    status: str
    detail: str
    parcel_id: str | None
    seller_order_id: str | None
    tracking_code: str | None
    batch: str | None
    amount: int | None
    expected: int | None
    collected: int | None
    created_at: str | None
    resolved_at: str | None
    resolved_by: str | None
    resolution: str | None
    currency: str = "VND"
    object: str = "cod_problem"


class RemittanceOut(msgspec.Struct):
    """One import of a batch: its new lines, how many matched, the cash and fees of the new lines, the problems it
    raised, and the lines that were imported before."""

    batch: str
    lines: int
    matched: int
    repeated: int
    amount: int
    fees: int
    net: int
    problems: list[CodProblemOut]
    currency: str = "VND"
    object: str = "cod_remittance"


class BatchOut(msgspec.Struct):
    """An imported remittance batch: lines, matched, cash, fees, and the net the carrier's transfer must bring."""

    id: str
    imported_at: str | None
    lines: int
    matched: int
    amount: int
    fees: int
    net: int
    currency: str = "VND"
    object: str = "cod_remittance_batch"


class ResolveIn(Input):
    note: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]


class CarrierReportOut(msgspec.Struct):
    id: str
    carrier: str
    transaction_id: str
    reason: str
    detail: str
    status: str
    outcome: str | None
    deliveries: int
    body: str
    received_at: str | None
    applied_at: str | None
    applied_by: str | None
    object: str = "carrier_report"
