"""Which payment methods this deployment offers, and the gateway that takes each: checkout asks `gateway_for` and
`GET /api/v1/payment-methods` lists `offered_methods`, both from `METHODS`, so the two never disagree."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from market.banking.gateway import BankTransfer
from market.core.errors import field_error
from market.payments.gateway import CashOnDelivery, PaymentGateway
from market.payments.stripe_gateway import StripeGateway
from market.settings import Settings

_COD = CashOnDelivery()
_stripe: dict[int, StripeGateway] = {}
_banks: dict[int, BankTransfer] = {}


@dataclass(frozen=True)
class Method:
    """A payment method: `offered` says whether this deployment takes it, `gateway` builds what takes it."""

    id: str
    name: str
    provider: str | None
    offered: Callable[[Settings], bool]
    gateway: Callable[[Settings], PaymentGateway]
    publishable_key: Callable[[Settings], str | None] = lambda _settings: None


@dataclass(frozen=True)
class Offered:
    """A method checkout accepts now, as storefronts are told of it."""

    id: str
    name: str
    provider: str | None
    confirms_at_checkout: bool
    publishable_key: str | None
    pay_within_s: int | None = None
    bank: dict[str, str] | None = None


def stripe_gateway(settings: Settings) -> StripeGateway:
    """The process's Stripe gateway for these settings (one HTTP client, reused)."""
    gateway = _stripe.get(id(settings))
    if gateway is None or gateway.settings is not settings:
        gateway = _stripe[id(settings)] = StripeGateway(settings)
    return gateway


def bank_transfer(settings: Settings) -> BankTransfer:
    gateway = _banks.get(id(settings))
    if gateway is None or gateway.settings is not settings:
        gateway = _banks[id(settings)] = BankTransfer(settings)
    return gateway


METHODS = (
    Method("cod", "Cash on delivery", None, lambda _settings: True, lambda _settings: _COD),
    # a bank transfer needs the collection account and the bank feed's credentials
    Method("bank_transfer", "Bank transfer (VietQR)", "vietqr", lambda settings: settings.bank_transfers,
           bank_transfer),
    # cards need Stripe's keys
    Method("card", "Card", "stripe", lambda settings: settings.card_payments, stripe_gateway,
           lambda settings: settings.stripe_publishable_key),
)  # fmt: skip


def gateway_for(method: str, settings: Settings) -> PaymentGateway:
    """The gateway of a payment method; 422 `payment_method_unavailable` for one this deployment does not take
    (cards need Stripe's keys)."""
    for known in METHODS:
        if known.id == method and known.offered(settings):
            return known.gateway(settings)
    raise field_error("payment_method", "payment_method_unavailable", f"Payment method {method!r} is not offered.")


def offered_methods(settings: Settings) -> list[Offered]:
    """The methods checkout accepts now, in the order storefronts should show them."""
    return [
        Offered(known.id, known.name, known.provider, known.gateway(settings).confirms_at_checkout,
                known.publishable_key(settings),
                None if known.gateway(settings).confirms_at_checkout else settings.reservation_ttl_s,
                _bank(settings) if known.id == "bank_transfer" else None)
        for known in METHODS
        if known.offered(settings)
    ]  # fmt: skip


def _bank(settings: Settings) -> dict[str, str]:
    from market.core.banks import bank

    known = bank(settings.bank_bin)
    return {"bank_bin": settings.bank_bin, "bank_name": known.short_name if known else settings.bank_bin,
            "account_number": settings.bank_account or "", "account_holder": settings.bank_holder}  # fmt: skip


async def close_clients() -> None:
    """Close the HTTP clients of the gateways this process made (at shutdown)."""
    while _stripe:
        await _stripe.popitem()[1].close()
