"""VietQR: NAPAS's profile of the EMVCo merchant-presented QR code, encoded and decoded.

A payload is a sequence of fields, each an id (2 digits), a length (2 digits) and a value; some values are
themselves such sequences (38, the beneficiary; 62, additional data). The last field, 63, is a CRC-16/CCITT-FALSE
(polynomial 0x1021, initial value 0xFFFF) over everything before its value, "6304" included, as four upper-case
hex digits: `binascii.crc_hqx(data, 0xFFFF)`. Used for buyers' bank transfers (dynamic codes, with the amount and
the payment reference) and for payouts to sellers' accounts.
"""

from __future__ import annotations

import binascii
from dataclasses import dataclass

GUID = "A000000727"
"""NAPAS's application id in field 38/00."""

TO_ACCOUNT = "QRIBFTTA"
TO_CARD = "QRIBFTTC"
VND = "704"
COUNTRY = "VN"
PURPOSE_MAX = 25
"""The longest payment purpose (62/08) this encoder writes; banks' apps show about this much."""


class VietQRError(ValueError):
    """A payload that is not well-formed VietQR, or a value that cannot be encoded."""


def crc16(data: bytes) -> str:
    """CRC-16/CCITT-FALSE of `data` as four upper-case hex digits (the value of field 63)."""
    return f"{binascii.crc_hqx(data, 0xFFFF):04X}"


def _field(tag: str, value: str) -> str:
    if len(value) > 99:
        raise VietQRError(f"field {tag} is {len(value)} characters long; at most 99 fit")
    return f"{tag}{len(value):02d}{value}"


def _ascii(name: str, value: str) -> str:
    if not value.isascii() or not value.isprintable():
        raise VietQRError(f"{name} must be printable ASCII (no diacritics)")
    return value


@dataclass(frozen=True)
class Transfer:
    """What a VietQR code asks a banking app to do: send `amount` đồng (None: the payer types it) to `account`
    at the bank with BIN `bin`, with `purpose` as the transfer text."""

    bin: str
    account: str
    amount: int | None = None
    purpose: str | None = None
    service: str = TO_ACCOUNT

    @property
    def dynamic(self) -> bool:
        """Dynamic codes carry an amount and are meant for one payment; static ones are reusable."""
        return self.amount is not None


def encode(transfer: Transfer) -> str:
    """The EMVCo payload of `transfer`, CRC included.

    Raises:
        VietQRError: a BIN that is not six digits, an account that is not 1-19 alphanumerics, an amount that is not
            positive, or a purpose that is not ASCII or longer than PURPOSE_MAX.
    """
    if not (len(transfer.bin) == 6 and transfer.bin.isdigit()):
        raise VietQRError("the bank BIN must be six digits")
    if not (0 < len(transfer.account) <= 19 and transfer.account.isascii() and transfer.account.isalnum()):
        raise VietQRError("the account must be 1 to 19 letters or digits")
    if transfer.amount is not None and transfer.amount <= 0:
        raise VietQRError("the amount must be positive")
    if transfer.service not in (TO_ACCOUNT, TO_CARD):
        raise VietQRError(f"unknown service code {transfer.service!r}")
    beneficiary = _field("00", transfer.bin) + _field("01", transfer.account)
    merchant = _field("00", GUID) + _field("01", beneficiary) + _field("02", transfer.service)
    parts = [_field("00", "01"), _field("01", "12" if transfer.dynamic else "11"), _field("38", merchant),
             _field("53", VND)]  # fmt: skip
    if transfer.amount is not None:
        parts.append(_field("54", str(transfer.amount)))
    parts.append(_field("58", COUNTRY))
    if transfer.purpose:
        purpose = _ascii("the purpose", transfer.purpose)
        if len(purpose) > PURPOSE_MAX:
            raise VietQRError(f"the purpose must be at most {PURPOSE_MAX} characters")
        parts.append(_field("62", _field("08", purpose)))
    body = "".join(parts) + "6304"
    return body + crc16(body.encode("ascii"))


def fields(payload: str) -> dict[str, str]:
    """Split one level of id-length-value fields.

    Raises:
        VietQRError: a truncated field or a non-numeric id or length.
    """
    out: dict[str, str] = {}
    at = 0
    while at < len(payload):
        head = payload[at : at + 4]
        if len(head) < 4 or not head.isdigit():
            raise VietQRError(f"malformed field at position {at}")
        size = int(head[2:])
        value = payload[at + 4 : at + 4 + size]
        if len(value) != size:
            raise VietQRError(f"field {head[:2]} is truncated")
        out[head[:2]] = value
        at += 4 + size
    return out


def decode(payload: str) -> Transfer:
    """The transfer a VietQR payload asks for, after checking its CRC and NAPAS's fields.

    Raises:
        VietQRError: a wrong CRC, a missing or foreign field 38, a currency other than VND.
    """
    if len(payload) < 8 or payload[-8:-4] != "6304":
        raise VietQRError("the payload does not end with a CRC field")
    if crc16(payload[:-4].encode("ascii")) != payload[-4:].upper():
        raise VietQRError("the CRC does not match")
    top = fields(payload)
    if top.get("00") != "01":
        raise VietQRError("payload format indicator 00 must be 01")
    merchant = fields(top.get("38", ""))
    if merchant.get("00") != GUID:
        raise VietQRError("field 38 is not a NAPAS (A000000727) account")
    beneficiary = fields(merchant.get("01", ""))
    if top.get("53", VND) != VND:
        raise VietQRError("the currency is not VND (704)")
    amount = top.get("54")
    if amount is not None and not amount.isdigit():
        raise VietQRError("the amount (54) must be a whole number of dong")
    purpose = fields(top["62"]).get("08") if "62" in top else None
    return Transfer(bin=beneficiary.get("00", ""), account=beneficiary.get("01", ""),
                    amount=int(amount) if amount else None, purpose=purpose,
                    service=merchant.get("02", TO_ACCOUNT))  # fmt: skip
