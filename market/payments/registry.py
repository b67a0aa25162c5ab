"""Which gateway takes which payment method, in this deployment."""

from __future__ import annotations

from market.core.errors import field_error
from market.payments.gateway import CashOnDelivery, PaymentGateway
from market.payments.stripe_gateway import StripeGateway
from market.settings import Settings

_COD = CashOnDelivery()
_stripe: dict[int, StripeGateway] = {}


def gateway_for(method: str, settings: Settings) -> PaymentGateway:
    """The gateway of a payment method; 422 `payment_method_unavailable` for one this deployment does not take
    (cards need Stripe's keys)."""
    if method == "cod":
        return _COD
    if method == "card" and settings.card_payments:
        return stripe_gateway(settings)
    raise field_error("payment_method", "payment_method_unavailable", f"Payment method {method!r} is not offered.")


def stripe_gateway(settings: Settings) -> StripeGateway:
    """The process's Stripe gateway for these settings (one HTTP client, reused)."""
    gateway = _stripe.get(id(settings))
    if gateway is None or gateway.settings is not settings:
        gateway = _stripe[id(settings)] = StripeGateway(settings)
    return gateway


async def close_clients() -> None:
    """Close the HTTP clients of the gateways this process made (at shutdown)."""
    while _stripe:
        await _stripe.popitem()[1].close()
