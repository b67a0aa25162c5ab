"""What crosses HTTP for payments and refunds (msgspec)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from market.core.schemas import Input, Reason


class RefundIn(Input):
    """A refund of an order's card payment: `amount` (default: everything left, or the seller order's total), or
    one `seller_order_id`'s total."""

    reason: Reason
    amount: Annotated[int, msgspec.Meta(ge=1, le=10_000_000_000)] | None = None
    seller_order_id: Annotated[str, msgspec.Meta(max_length=40)] | None = None


class RefundOut(msgspec.Struct):
    id: str
    order_id: str
    seller_order_id: str | None
    amount: int
    reason: str
    status: str
    requested_by: str
    created_at: str | None
    currency: str = "VND"
    object: str = "refund"


class PaymentOut(msgspec.Struct):
    id: str
    order_id: str
    method: str
    status: str
    amount: int
    amount_received: int
    amount_refunded: int
    provider_ref: str | None
    disputed_at: str | None
    dispute_reason: str | None
    created_at: str | None
    currency: str = "VND"
    object: str = "payment"


class WebhookAck(msgspec.Struct):
    received: bool
    duplicate: bool = False
