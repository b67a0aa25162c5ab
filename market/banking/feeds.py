"""The bank feeds' wire formats: SePay's webhook (and the entries of its transaction list, for reconciliation),
authenticated by its API key (`Authorization: Apikey <key>`) or by an HMAC-SHA256 of the raw body
(`X-Signature: sha256=<hex>`), mapped to one `Credit`.

SePay posts `{"id": 92704, "gateway": "Vietcombank", "transactionDate": "2023-03-25 14:02:37", "accountNumber":
"0123499999", "code": null, "content": "...", "transferType": "in", "transferAmount": 2277000, "accumulated":
19077000, "subAccount": null, "referenceCode": "MBVCB.3278907687", "description": "..."}` (the date in Vietnamese
time), expects `{"success": true}` with a 2xx, and retries otherwise.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

import msgspec

from market.core.clock import VIETNAM
from market.settings import Settings

PROVIDERS = ("sepay",)
DATE_FORMAT = "%Y-%m-%d %H:%M:%S"


class FeedRefused(Exception):
    """Not the bank feed's: no valid API key or signature (401, nothing stored)."""


class Unreadable(Exception):
    """The feed's body, authenticated, is not what it should be (`field` names what is wrong)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Credit:
    """One transaction on the collection account, whatever the feed."""

    provider: str
    provider_id: str
    gateway: str
    account_number: str
    transferred_at: datetime | None
    direction: str
    amount: int
    content: str
    code: str | None
    bank_reference: str | None
    payload: dict[str, Any]

    @property
    def key(self) -> str:
        return f"{self.provider}:{self.provider_id}"


class SepayWebhook(msgspec.Struct):
    id: int | str
    transferAmount: Annotated[int, msgspec.Meta(ge=0, le=100_000_000_000)]
    transferType: str = "in"
    gateway: str = ""
    transactionDate: str | None = None
    accountNumber: str | None = ""
    code: str | None = None
    content: str | None = ""
    referenceCode: str | None = None
    accumulated: int | None = None
    subAccount: str | None = None
    description: str | None = None


def authenticate(settings: Settings, body: bytes, headers: Any) -> None:
    """Raise `FeedRefused` unless the request carries the configured API key or a valid HMAC of `body`."""
    key = settings.bank_feed_api_key
    authorization = headers.get("authorization") or ""
    if key and authorization.startswith("Apikey ") and hmac.compare_digest(authorization[7:].strip(), key):
        return
    secret = settings.bank_feed_hmac_secret
    signature = (headers.get("x-signature") or "").removeprefix("sha256=")
    if secret and signature and hmac.compare_digest(signature, sign(secret, body)):
        return
    raise FeedRefused()


def sign(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def _when(text: str | None) -> datetime | None:
    if not text:
        return None
    try:
        return datetime.strptime(text, DATE_FORMAT).replace(tzinfo=VIETNAM)
    except ValueError:
        raise Unreadable("transactionDate", f"Expected {DATE_FORMAT!r} in Vietnamese time.") from None


def parse_sepay(body: bytes) -> Credit:
    """A SePay webhook body as a `Credit` (raises `Unreadable` naming the field at fault)."""
    try:
        raw = msgspec.json.decode(body)
        hook = msgspec.convert(raw, SepayWebhook)
    except msgspec.ValidationError as exc:
        path = str(exc).rpartition("at `$.")[2].rstrip("`") or "body"
        raise Unreadable(path if "$." in str(exc) else "body", str(exc)) from None
    except msgspec.DecodeError as exc:
        raise Unreadable("body", "The body is not JSON.") from exc
    if hook.transferType not in ("in", "out"):
        raise Unreadable("transferType", "Expected in or out.")
    if not str(hook.id).strip() or len(str(hook.id)) > 64:
        raise Unreadable("id", "Expected the provider's transaction id (at most 64 characters).")
    return Credit(
        provider="sepay", provider_id=str(hook.id), gateway=hook.gateway[:64],
        account_number=(hook.accountNumber or "")[:32],
        transferred_at=_when(hook.transactionDate), direction=hook.transferType, amount=hook.transferAmount,
        content=(hook.content or "")[:2000], code=hook.code, bank_reference=(hook.referenceCode or None) and
        hook.referenceCode[:64], payload=raw if isinstance(raw, dict) else {},
    )  # fmt: skip


def sepay_from_list(entry: dict[str, Any]) -> bytes:
    """An entry of SePay's transaction list (`GET /userapi/transactions/list`) as the webhook body it stands for."""
    amount_in = int(float(entry.get("amount_in") or 0))
    amount_out = int(float(entry.get("amount_out") or 0))
    body = {"id": entry["id"], "gateway": entry.get("bank_brand_name") or "", "transactionDate":
            entry.get("transaction_date"), "accountNumber": entry.get("account_number") or "",
            "code": entry.get("code"), "content": entry.get("transaction_content") or "",
            "transferType": "in" if amount_in else "out", "transferAmount": amount_in or amount_out,
            "referenceCode": entry.get("reference_number"), "accumulated": int(float(entry.get("accumulated") or 0)),
            "subAccount": entry.get("sub_account"), "description": ""}  # fmt: skip
    return msgspec.json.encode(body)
