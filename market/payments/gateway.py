"""The `PaymentGateway` protocol checkout and refunds go through, and the gateways of this release.

Checkout writes the order first and calls `start` only after its transaction has committed (never inside it); a
retry of the same checkout calls `start` again for the same order, so a gateway must derive its own idempotency
from `PaymentRequest.order_id`. Domestic methods (VietQR transfers, wallets) plug in here as more gateways.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from market.core.errors import DependencyUnavailable, field_error


@dataclass(frozen=True)
class PaymentRequest:
    order_id: str
    amount: int
    currency: str
    email: str | None
    phone: str


@dataclass(frozen=True)
class PaymentStart:
    """What the client does next: `status` is `cash_on_delivery` (nothing), or `requires_payment` (confirm with
    the processor's SDK using `client_secret`, when the gateway issues one)."""

    status: str
    client_secret: str | None = None
    publishable_key: str | None = None


@dataclass(frozen=True)
class RefundRequest:
    order_id: str
    seller_order_id: str
    amount: int
    reason: str


class PaymentGateway(Protocol):
    """A way to pay. `confirms_at_checkout`: the seller orders are confirmed when the order is placed (cash on
    delivery), rather than when the payment succeeds."""

    method: str
    confirms_at_checkout: bool

    async def start(self, request: PaymentRequest) -> PaymentStart:
        """Begin collecting the payment of a committed order (idempotent per order)."""
        ...

    async def refund(self, request: RefundRequest) -> str:
        """Give money back; returns the refund's status (idempotent per seller order and reason)."""
        ...


class CashOnDelivery:
    """The postman collects the total at the door: nothing to start, and nothing to refund before collection."""

    method = "cod"
    confirms_at_checkout = True

    async def start(self, request: PaymentRequest) -> PaymentStart:
        return PaymentStart("cash_on_delivery")

    async def refund(self, request: RefundRequest) -> str:
        # Cash already collected is paid back by the operators' bank transfer, outside any processor.
        return "manual"


class CardAwaitingProcessor:
    """Card orders before a card processor is wired in (the Stripe issue): the order waits in pending_payment with
    its stock reserved until the reservation expires; no client secret is issued and nothing is charged."""

    method = "card"
    confirms_at_checkout = False

    async def start(self, request: PaymentRequest) -> PaymentStart:
        return PaymentStart("requires_payment")

    async def refund(self, request: RefundRequest) -> str:
        raise DependencyUnavailable("card processor", "No card processor is configured to refund through.")


GATEWAYS: dict[str, PaymentGateway] = {"cod": CashOnDelivery(), "card": CardAwaitingProcessor()}


def gateway_for(method: str) -> PaymentGateway:
    """The gateway of a payment method; 422 `payment_method_unavailable` for one this marketplace does not take."""
    gateway = GATEWAYS.get(method)
    if gateway is None:
        raise field_error("payment_method", "payment_method_unavailable", f"Payment method {method!r} is not offered.")
    return gateway
