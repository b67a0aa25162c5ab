"""The `PaymentGateway` protocol checkout and refunds go through, and the gateways of this marketplace.

Checkout writes the order (and, for a card, its payment record) first and calls `start` only after its statement has
committed, never inside a transaction; a retry of the same checkout calls `start` again for the same order, so a
gateway derives its own idempotency from the order. Domestic methods (VietQR transfers, wallets) plug in here as
more gateways.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True)
class PaymentRequest:
    order_id: str
    amount: int
    currency: str
    email: str | None
    phone: str
    expires_at: datetime | None = None


@dataclass(frozen=True)
class PaymentStart:
    """What the client does next: `status` is `cash_on_delivery` (nothing), `requires_payment` (confirm with the
    processor's own SDK, using `client_secret` and `publishable_key`) or `requires_transfer` (send the bank
    transfer of `bank_transfer`, a `market.banking.schemas.BankTransferOut`)."""

    status: str
    client_secret: str | None = None
    publishable_key: str | None = None
    bank_transfer: Any = None


@dataclass(frozen=True)
class RefundRequest:
    refund_id: str
    order_id: str
    provider_ref: str | None
    amount: int
    reason: str


@dataclass(frozen=True)
class RefundOutcome:
    """`succeeded`, `pending` (the processor finishes it later), `failed` or `manual` (operators pay it back by bank
    transfer)."""

    status: str
    provider_ref: str | None = None


class PaymentGateway(Protocol):
    """A way to pay. `confirms_at_checkout`: the seller orders are confirmed when the order is placed (cash on
    delivery), rather than when the payment succeeds."""

    method: str
    confirms_at_checkout: bool

    def prepared(self, request: PaymentRequest) -> PaymentStart | None:
        """The start of a payment that needs no call to anyone (cash, a bank transfer's instructions): checkout
        writes it with the order, in its one statement. None: `start` is called after the commit."""
        ...

    async def start(self, request: PaymentRequest) -> PaymentStart:
        """Begin collecting the payment of a committed order (idempotent per order)."""
        ...

    async def refund(self, request: RefundRequest) -> RefundOutcome:
        """Give money back (idempotent per refund id)."""
        ...


class CashOnDelivery:
    """The postman collects the total at the door: nothing to start; cash already collected is paid back by the
    operators' bank transfer."""

    method = "cod"
    confirms_at_checkout = True

    def prepared(self, request: PaymentRequest) -> PaymentStart | None:
        return PaymentStart("cash_on_delivery")

    async def start(self, request: PaymentRequest) -> PaymentStart:
        return PaymentStart("cash_on_delivery")

    async def refund(self, request: RefundRequest) -> RefundOutcome:
        return RefundOutcome("manual")
