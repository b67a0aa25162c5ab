"""The Vietnam Post / EMS adapter: token auth, fee quotes, parcels by our order code, signed status webhooks and
COD remittance CSVs, over HTTPS (httpx). `market carrier-sim` serves the same API locally."""

from __future__ import annotations

import csv
import hashlib
import hmac
import io
import json
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx

from market.shipping.carrier import (
    CarrierParcel,
    CarrierUnavailable,
    DuplicateReference,
    ParcelRequest,
    Party,
    Quote,
    Remittance,
    RemittanceLine,
    StatusReport,
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


def parse_datetime(value: str) -> datetime:
    """The carrier's "dd/mm/yyyy HH:MM:SS", Vietnam time, as an aware datetime."""
    return datetime.strptime(value, DATETIME_FORMAT).replace(tzinfo=VIETNAM)


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
            raise CarrierUnavailable(f"{type(exc).__name__}: {exc}") from exc
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

    def parse_status(self, body: bytes, headers: dict[str, str]) -> StatusReport:
        given = headers.get("x-signature", "")
        transaction = headers.get("x-transaction-id", "")
        if not transaction or not hmac.compare_digest(given, signature(self.webhook_secret, body)):
            raise WebhookRefused("missing or wrong X-Signature / X-Transaction-Id")
        try:
            data = json.loads(body)
            code = str(data["status_code"])
            return StatusReport(
                transaction_id=transaction, tracking_code=data["tracking_code"], reference=data["order_code"],
                status=STATUS_CODES[code], status_code=code, status_name=str(data.get("status_name") or ""),
                happened_at=parse_datetime(data["datetime"]), note=data.get("note"), location=data.get("location"),
                money_collect=int(data.get("money_collect") or 0), total_fee=int(data.get("total_fee") or 0),
            )  # fmt: skip
        except (KeyError, ValueError, TypeError) as exc:
            raise WebhookRefused(f"malformed status: {exc}") from exc

    def parse_remittance(self, batch: str, text: str) -> Remittance:
        """CSV with a header: tracking_code, amount, fee."""
        rows = csv.DictReader(io.StringIO(text))
        if not {"tracking_code", "amount"} <= set(rows.fieldnames or ()):
            raise ValueError("a remittance CSV starts with the header tracking_code,amount,fee")
        lines = [RemittanceLine(row["tracking_code"].strip(), int(row["amount"]), int(row.get("fee") or 0))
                 for row in rows if row.get("tracking_code")]  # fmt: skip
        return Remittance(batch, lines)
