"""The carrier protocol: what the marketplace needs from a postal carrier, whatever its API looks like."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from market.core.errors import DomainError

STATUSES = ("created", "picked_up", "in_transit", "delivered", "delivery_failed", "returning", "returned", "cancelled")


@dataclass(frozen=True)
class Quote:
    service: str
    fee: int
    transit_days: int


@dataclass(frozen=True)
class Party:
    name: str
    phone: str
    street: str
    ward_code: int
    province_code: int


@dataclass(frozen=True)
class ParcelRequest:
    reference: str
    sender: Party
    receiver: Party
    weight_g: int
    declared_value: int
    cod_amount: int
    service: str
    contents: str = ""


@dataclass(frozen=True)
class CarrierParcel:
    reference: str
    tracking_code: str
    status: str
    fee: int | None = None
    label_url: str | None = None


@dataclass(frozen=True)
class StatusReport:
    """One status webhook, in our words: `status` is one of `STATUSES`."""

    transaction_id: str
    tracking_code: str
    reference: str
    status: str
    status_code: str
    status_name: str
    happened_at: datetime
    note: str | None = None
    location: str | None = None
    money_collect: int = 0
    total_fee: int = 0


@dataclass(frozen=True)
class RemittanceLine:
    tracking_code: str
    amount: int
    fee: int = 0


@dataclass(frozen=True)
class Remittance:
    batch: str
    lines: list[RemittanceLine] = field(default_factory=list)


class CarrierUnavailable(Exception):
    """The carrier did not answer, answered 5xx, or timed out: try again later."""


class Carrier(Protocol):
    name: str

    async def quote(self, weight_g: int, from_province: int, to_province: int, cod_amount: int) -> list[Quote]: ...

    async def create_parcel(self, request: ParcelRequest) -> CarrierParcel:
        """Create the parcel; raises `DuplicateReference` when the carrier already has one for the reference."""
        ...

    async def cancel(self, tracking_code: str) -> bool: ...

    async def find(self, reference: str) -> CarrierParcel | None: ...

    def verify(self, body: bytes, headers: dict[str, str]) -> str:
        """Authenticate a status webhook and return its transaction id; raises `WebhookRefused` when it is not the
        carrier's. Says nothing about whether the body makes sense: that is `parse_status`'s business."""
        ...

    def parse_status(self, body: bytes, transaction_id: str) -> StatusReport:
        """Map an authenticated status webhook; raises `UnmappableReport` for a body we cannot read."""
        ...

    def parse_remittance(self, batch: str, data: bytes) -> Remittance:
        """Read a COD remittance file; raises `MalformedRemittance` naming the line at fault."""
        ...


class DuplicateReference(Exception):
    """The carrier already has a parcel with this reference."""


class WebhookRefused(Exception):
    """A webhook without the carrier's signature: not the carrier's, refused (401)."""


class UnmappableReport(Exception):
    """A webhook the carrier signed that we cannot apply: kept for operators, acknowledged, never dropped.

    `reason`: `unknown_status` (a status code we do not know), `unparseable` (not JSON, a field missing or of the
    wrong type, a datetime in no format we read), `unknown_parcel` (no parcel with its tracking or order code).
    """

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(detail)
        self.reason, self.detail = reason, detail


class MalformedRemittance(DomainError):
    """The file is not the carrier's remittance CSV (422; `line` names where, when it is a line)."""

    status = 422
    code = "malformed_remittance"
