"""What crosses HTTP for returns (msgspec)."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from market.core.schemas import Input, Reason

ReasonCode = Literal["damaged", "spoiled", "wrong_item", "missing_items", "not_as_described", "other"]
"""Why a buyer returns goods: broken or crushed, gone bad, not what was ordered, fewer than ordered, not as the
listing said, something else (the text says what)."""
LineId = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
Quantity = Annotated[int, msgspec.Meta(ge=1, le=100_000)]
PhotoUrl = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Photos = Annotated[list[PhotoUrl], msgspec.Meta(max_length=8)]
Description = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
ReturnStatus = Literal["requested", "accepted", "refused", "disputed", "received", "refunded", "closed"]


class ReturnLineIn(Input):
    line_id: LineId
    quantity: Quantity


class ReturnIn(Input):
    """A return of some or all lines of one delivered seller order, with quantities per line."""

    seller_order_id: LineId
    reason_code: ReasonCode
    reason: Description
    lines: Annotated[list[ReturnLineIn], msgspec.Meta(min_length=1, max_length=100)]
    photos: Photos = msgspec.field(default_factory=list)


class ReasonIn(Input):
    reason: Reason


class DecideIn(Input):
    """An operator's decision on a disputed refusal: accept the return, or refuse it for good."""

    decision: Literal["accept", "refuse"]
    reason: Reason


class ReturnLineOut(msgspec.Struct):
    line_id: str
    variant_id: str
    product_id: str
    product_name: str
    quantity: int
    amount: int
    object: str = "return_line"


class ReturnRefundOut(msgspec.Struct):
    """The money going back: `method` card (the worker refunds it at Stripe) or bank_transfer (cash on delivery:
    operators pay it back); `status` is `not_requested` until the return parcel reaches the seller."""

    amount: int
    method: str
    status: str
    refund_id: str | None


class ReturnParcelOut(msgspec.Struct):
    """The return parcel, from the buyer back to the seller (the buyer prints its label)."""

    id: str
    status: str
    tracking_code: str | None
    label_url: str | None
    object: str = "parcel"


class ReturnTransitionOut(msgspec.Struct):
    from_status: str | None
    to_status: str
    actor: str
    reason: str | None
    at: str | None


class ReturnOut(msgspec.Struct):
    id: str
    order_id: str
    seller_order_id: str
    seller_id: str
    status: str
    reason_code: str
    reason: str
    photos: list[str]
    lines: list[ReturnLineOut]
    refund: ReturnRefundOut
    parcel: ReturnParcelOut | None
    refusal_reason: str | None
    dispute_reason: str | None
    decision_reason: str | None
    history: list[ReturnTransitionOut]
    created_at: str | None
    updated_at: str | None
    currency: str = "VND"
    object: str = "return"
