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


class BankAccountOut(msgspec.Struct):
    """The marketplace's collection account that bank transfers go to (each order's answer carries its own VietQR
    code, amount and reference)."""

    bank_bin: str
    bank_name: str
    account_number: str
    account_holder: str


class PaymentMethodOut(msgspec.Struct):
    """A method checkout accepts now: send its `id` as checkout's `payment_method`. `confirms_at_checkout`: the order
    is confirmed when placed (cash on delivery) rather than when paid; `publishable_key`: for the provider's own SDK
    (Stripe.js, PaymentSheet), when the method has one; `pay_within_s`: how long the stock stays reserved while the
    payment is awaited; `bank`: the account a bank transfer goes to."""

    id: str
    name: str
    provider: str | None
    confirms_at_checkout: bool
    publishable_key: str | None
    pay_within_s: int | None = None
    bank: BankAccountOut | None = None
    object: str = "payment_method"


class PaymentMethodList(msgspec.Struct):
    """Every method offered, in the order to show them (complete: `has_more` is always false)."""

    data: list[PaymentMethodOut]
    has_more: bool = False
    next_cursor: str | None = None
    object: str = "list"
