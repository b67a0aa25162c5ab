"""What crosses HTTP for parcels, tracking and COD remittances (msgspec)."""

from __future__ import annotations

import msgspec


class TrackingEventOut(msgspec.Struct):
    status: str
    status_name: str
    location: str | None
    note: str | None
    at: str | None
    applied: bool


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
    object: str = "parcel"


class CarrierAck(msgspec.Struct):
    code: str
    transaction: str


class RemittanceProblemOut(msgspec.Struct):
    tracking_code: str
    amount: int
    expected: int | None


class RemittanceOut(msgspec.Struct):
    batch: str
    matched: int
    mismatched: list[RemittanceProblemOut]
    unknown: list[RemittanceProblemOut]
    repeated: int
    object: str = "cod_remittance"
