"""What a buyer needs to pay an order by bank transfer: the dynamic VietQR payload for the marketplace's collection
account (BANK_BIN, BANK_ACCOUNT, BANK_HOLDER), the same data in plain fields for people who type it, and the URLs
of the QR image (PNG and SVG) that stop working when the order's reservation ends.

The image URLs carry a signed token (`market.core.security.signed`, domain `vietqr`) of the reference, the amount
and the expiry, so serving the image reads nothing from the database and a URL cannot be edited to another amount.
"""

from __future__ import annotations

from datetime import datetime

from market.banking.reference import reference_of
from market.banking.schemas import BankTransferOut
from market.core import clock, vietqr
from market.core.banks import bank
from market.core.schemas import rfc3339
from market.core.security import signed, unsigned
from market.settings import Settings

QR_DOMAIN = "vietqr"
QR_PATH = "/api/v1/payments/vietqr"


def payload_of(settings: Settings, amount: int, reference: str) -> str:
    """The EMVCo payload of a transfer of `amount` with `reference` to the collection account."""
    return vietqr.encode(vietqr.Transfer(settings.bank_bin, settings.bank_account or "", amount, reference))


def qr_token(settings: Settings, reference: str, amount: int, expires_at: datetime | None) -> str:
    until = int(expires_at.timestamp()) if expires_at else 0
    return signed(settings.secret_key, QR_DOMAIN, f"{reference}.{amount}.{until}")


QR_MAX_AGE_S = 600  # how long a client may keep a QR image (at most; never past the order's reservation)


def read_qr_token(settings: Settings, token: str) -> tuple[str, int, int] | None:
    """(reference, amount, seconds a client may cache its image) of a valid, unexpired token; None otherwise."""
    value = unsigned(settings.secret_key, QR_DOMAIN, token)
    if value is None:
        return None
    reference, amount, until = value.split(".")
    left = int(until) - int(clock.now().timestamp()) if int(until) else QR_MAX_AGE_S
    if left < 0:
        return None
    return reference, int(amount), min(left, QR_MAX_AGE_S)


def instructions(settings: Settings, order_id: str, amount: int, expires_at: datetime | None) -> BankTransferOut:
    """The transfer that pays `amount` of this order (its whole total at checkout; what is missing after a short
    transfer)."""
    reference = reference_of(order_id, settings.bank_reference_prefix)
    token = qr_token(settings, reference, amount, expires_at)
    known = bank(settings.bank_bin)
    return BankTransferOut(
        bank_bin=settings.bank_bin, bank_name=known.short_name if known else settings.bank_bin,
        account_number=settings.bank_account or "", account_holder=settings.bank_holder, amount=amount,
        reference=reference, payload=payload_of(settings, amount, reference),
        qr_png_url=f"{QR_PATH}/{token}/qr.png", qr_svg_url=f"{QR_PATH}/{token}/qr.svg", expires_at=rfc3339(expires_at),
    )  # fmt: skip
