"""The Vietnam Post / EMS adapter: token auth, fee quotes, parcels by our order code, signed status webhooks and
COD remittance CSVs, over HTTPS (httpx). `market carrier-sim` serves the same API locally."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import re
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from market.shipping.carrier import (
    CarrierParcel,
    CarrierUnavailable,
    DuplicateReference,
    MalformedRemittance,
    ParcelRequest,
    Party,
    Quote,
    Remittance,
    RemittanceLine,
    StatusReport,
    UnmappableReport,
    WebhookRefused,
)

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")
DATETIME_FORMAT = "%d/%m/%Y %H:%M:%S"
STATUS_CODES = {
    "100": "created", "200": "picked_up", "300": "in_transit", "400": "in_transit", "500": "delivered",
    "550": "delivery_failed", "600": "returning", "700": "returned", "900": "cancelled",
}  # fmt: skip
"""The carrier's status codes (400: out for delivery) in our words."""
CODES_OF = {"created": "100", "picked_up": "200", "in_transit": "300", "delivered": "500",
            "delivery_failed": "550", "returning": "600", "returned": "700", "cancelled": "900"}  # fmt: skip


def signature(secret: str, body: bytes) -> str:
    """The `X-Signature` of a webhook body: hex HMAC-SHA256 with the shared webhook secret."""
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


ISO_8601 = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?")
"""A full ISO 8601 date and time (year first, so day and month cannot be swapped); a bare date is not enough."""


def parse_datetime(value: str) -> datetime:
    """The carrier's "dd/mm/yyyy HH:MM:SS" (Vietnam time), or an unambiguous ISO 8601 date and time (its offset,
    else Vietnam time like the carrier's own format), as an aware datetime; ValueError for anything else."""
    try:
        return datetime.strptime(value, DATETIME_FORMAT).replace(tzinfo=VIETNAM)
    except ValueError:
        if not ISO_8601.fullmatch(value):
            raise ValueError(f"datetime {value!r} is neither dd/mm/yyyy HH:MM:SS nor ISO 8601") from None
    parsed = datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=VIETNAM)


def _text(data: dict[str, Any], key: str, limit: int, *, required: bool = False) -> str | None:
    """A text field of a report, as the parcel columns hold it (ValueError when it does not fit them)."""
    value = data[key] if required else data.get(key)
    if value is None or value == "":
        if required:
            raise ValueError(f"{key} is empty")
        return None
    if not isinstance(value, str | int):
        raise ValueError(f"{key} {value!r} is not text")
    if len(str(value)) > limit:
        raise ValueError(f"{key} is longer than {limit} characters")
    return str(value)


def _money(data: dict[str, Any], key: str) -> int:
    value = data.get(key) or 0
    if isinstance(value, bool) or not isinstance(value, int | str) or not 0 <= int(value) < 10**15:
        raise ValueError(f"{key} {value!r} is not an amount in đồng")
    return int(value)


class VnPost:
    name = "vnpost"

    def __init__(self, base_url: str, partner_id: str, partner_secret: str, webhook_secret: str, timeout_s: float):
        self.http = httpx.AsyncClient(base_url=base_url.rstrip("/"), timeout=timeout_s)
        self.partner_id, self.partner_secret, self.webhook_secret = partner_id, partner_secret, webhook_secret
        self._token: tuple[str, float] | None = None

    async def close(self) -> None:
        await self.http.aclose()

    async def _headers(self, renew: bool = False) -> dict[str, str]:
        if renew or self._token is None or self._token[1] < time.monotonic():
            answer = await self._send("POST", "/api/v1/token", {"partner_id": self.partner_id,
                                                                "secret": self.partner_secret}, auth=False)  # fmt: skip
            if answer.status_code != 200:
                raise CarrierUnavailable(f"token refused: {answer.status_code}")
            body = answer.json()
            self._token = (body["token"], time.monotonic() + int(body.get("expires_in", 3600)) - 60)
        return {"Token": self._token[0]}

    async def _send(self, method: str, path: str, body: Any = None, *, auth: bool = True) -> httpx.Response:
        try:
            headers = await self._headers() if auth else {}
            answer = await self.http.request(method, path, json=body, headers=headers)
            if auth and answer.status_code == 401:  # the token expired early: once more with a new one
                answer = await self.http.request(method, path, json=body, headers=await self._headers(renew=True))
        except httpx.HTTPError as exc:
            raise CarrierUnavailable(f"{type(exc).__name__}: {str(exc) or 'no answer in time'}") from exc
        if answer.status_code >= 500:
            raise CarrierUnavailable(f"{method} {path}: {answer.status_code}")
        return answer

    async def quote(self, weight_g: int, from_province: int, to_province: int, cod_amount: int) -> list[Quote]:
        answer = await self._send(
            "POST",
            "/api/v1/fees",
            {
                "weight_g": weight_g,
                "from_province": from_province,
                "to_province": to_province,
                "cod_amount": cod_amount,
            },
        )
        answer.raise_for_status()  # fmt: skip
        return [
            Quote(item["service"], int(item["fee"]), int(item["transit_days"])) for item in answer.json()["services"]
        ]

    async def create_parcel(self, request: ParcelRequest) -> CarrierParcel:
        answer = await self._send("POST", "/api/v1/orders", {
            "order_code": request.reference, "sender": self._party(request.sender),
            "receiver": self._party(request.receiver),
            "weight_g": request.weight_g, "declared_value": request.declared_value, "cod_amount": request.cod_amount,
            "service": request.service, "contents": request.contents,
        })  # fmt: skip
        if answer.status_code == 409:
            raise DuplicateReference(request.reference)
        answer.raise_for_status()
        return self._parcel(answer.json())

    async def find(self, reference: str) -> CarrierParcel | None:
        answer = await self._send("GET", f"/api/v1/orders/{reference}")
        if answer.status_code == 404:
            return None
        answer.raise_for_status()
        return self._parcel(answer.json())

    async def cancel(self, tracking_code: str) -> bool:
        answer = await self._send("POST", f"/api/v1/parcels/{tracking_code}/cancel")
        return answer.status_code == 200

    @staticmethod
    def _party(party: Party) -> dict[str, Any]:
        return {"name": party.name, "phone": party.phone, "street": party.street, "ward_code": party.ward_code,
                "province_code": party.province_code}  # fmt: skip

    def _parcel(self, body: dict[str, Any]) -> CarrierParcel:
        label = body.get("label_url")
        if label and label.startswith("/"):  # the carrier's own label link, made absolute
            label = f"{self.http.base_url}{label}"
        return CarrierParcel(body["order_code"], body["tracking_code"], STATUS_CODES.get(str(body["status_code"]),
                             "created"), body.get("fee"), label)  # fmt: skip

    def verify(self, body: bytes, headers: dict[str, str]) -> str:
        """The webhook's `X-Transaction-Id` when its `X-Signature` is the HMAC of the body with our secret (a signed
        report without the header is named by its body's digest, so it is still kept once)."""
        given = headers.get("x-signature", "")
        if not given or not hmac.compare_digest(given, signature(self.webhook_secret, body)):
            raise WebhookRefused("missing or wrong X-Signature")
        return headers.get("x-transaction-id") or f"sha256:{hashlib.sha256(body).hexdigest()[:40]}"

    def parse_status(self, body: bytes, transaction_id: str) -> StatusReport:
        try:
            data = json.loads(body)
            if not isinstance(data, dict):
                raise TypeError("the body is not a JSON object")
            code = str(data["status_code"])
            if len(transaction_id) > 100:
                raise ValueError("X-Transaction-Id is longer than 100 characters")
            if code not in STATUS_CODES:
                raise UnmappableReport("unknown_status", f"status_code {code!r} ({data.get('status_name')}) is not "
                                       f"one we know: {', '.join(sorted(STATUS_CODES))}")  # fmt: skip
            return StatusReport(
                transaction_id=transaction_id, tracking_code=str(_text(data, "tracking_code", 32, required=True)),
                reference=str(_text(data, "order_code", 64, required=True)), status=STATUS_CODES[code],
                status_code=code[:16], status_name=(_text(data, "status_name", 10_000) or "")[:120],
                happened_at=parse_datetime(str(data["datetime"])), note=_text(data, "note", 2000),
                location=(_text(data, "location", 10_000) or "")[:200] or None,
                money_collect=_money(data, "money_collect"), total_fee=_money(data, "total_fee"),
            )  # fmt: skip
        except KeyError as exc:
            raise UnmappableReport("unparseable", f"the field {exc} is missing") from exc
        except (ValueError, TypeError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
            raise UnmappableReport("unparseable", str(exc)[:500]) from exc

    def parse_remittance(self, batch: str, data: bytes) -> Remittance:
        """UTF-8 CSV with the header `tracking_code,amount,fee` (fee optional), one parcel a line, amounts in đồng."""
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise MalformedRemittance("The file is not a text file (UTF-8): not the carrier's remittance CSV.") from exc
        try:
            return Remittance(batch, _remittance_lines(csv.DictReader(io.StringIO(text))))
        except csv.Error as exc:
            raise MalformedRemittance(f"Not the carrier's remittance CSV: {exc}.") from exc


def _whole(value: str) -> bool:
    """Whole đồng written as plain digits (at most 15: a hundred trillion đồng is no parcel's cash)."""
    return value.isascii() and value.isdigit() and len(value) <= 15


def _remittance_lines(rows: csv.DictReader[str]) -> list[RemittanceLine]:
    header = [name.strip() for name in rows.fieldnames or ()]
    if not {"tracking_code", "amount"} <= set(header):
        raise MalformedRemittance("Not the carrier's remittance CSV: it starts with the header "
                                  "tracking_code,amount,fee.", line=1)  # fmt: skip
    rows.fieldnames = header
    lines = []
    for row in rows:
        code = (row.get("tracking_code") or "").strip()
        if not code and not any((value or "").strip() for value in row.values() if isinstance(value, str)):
            continue  # a blank line
        amount, fee = (row.get("amount") or "").strip(), (row.get("fee") or "").strip() or "0"
        if not code or len(code) > 32 or not _whole(amount) or not _whole(fee):
            raise MalformedRemittance(
                f"line {rows.line_num}: expected a tracking code and whole đồng amounts, got "
                f"{code!r}, {amount!r}, {fee!r}.", line=rows.line_num,
            )  # fmt: skip
        lines.append(RemittanceLine(code, int(amount), int(fee)))
    return lines
