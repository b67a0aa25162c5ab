"""Bank transfer orders and the bank feed's webhooks (SePay's shape), for the tests and the benchmark."""

from __future__ import annotations

import itertools
import json
from typing import Any

import httpx

from market.banking.feeds import sign
from market.core.db import fetch
from market.core.vietqr import decode
from market.settings import Settings
from tests.buyers import mobile_buyer
from tests.shoppers import checkout, checkout_body, fill_cart, variant_ids

_ids = itertools.count(1_000_000)


def sepay(amount: int, content: str, *, txn: int | None = None, direction: str = "in", **extra: Any) -> dict:
    """A SePay webhook body."""
    return {"id": txn if txn is not None else next(_ids), "gateway": "Vietcombank",
            "transactionDate": "2026-12-02 10:15:00", "accountNumber": "0071000888888", "code": None,
            "content": content, "transferType": direction, "transferAmount": amount, "accumulated": 0,
            "subAccount": None, "referenceCode": f"FT{next(_ids)}", "description": content, **extra}  # fmt: skip


async def post_credit(
    client: httpx.AsyncClient, settings: Settings, body: dict[str, Any], *, auth: str = "apikey"
) -> httpx.Response:
    """Deliver a webhook as SePay does: `Authorization: Apikey <key>` (or `auth="hmac"`, or `"none"`)."""
    raw = json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if auth == "apikey":
        headers["Authorization"] = f"Apikey {settings.bank_feed_api_key}"
    elif auth == "hmac":
        headers["X-Signature"] = "sha256=" + sign(settings.bank_feed_hmac_secret or "", raw)
    return await client.post("/webhooks/banks/sepay", content=raw, headers=headers)


async def bank_order(
    client: httpx.AsyncClient, shop: dict[str, Any], quantity: int = 1, variant: int = 0
) -> dict[str, Any]:
    """A buyer checks out by bank transfer: {"order", "buyer", "transfer", "variant"}."""
    variant_id = variant_ids(shop["products"][0])[variant]
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(variant_id, quantity)])
    response = await checkout(client, buyer["headers"], checkout_body(payment_method="bank_transfer"))
    assert response.status_code == 201, response.text
    order = response.json()
    return {"order": order, "buyer": buyer, "transfer": order["payment"]["bank_transfer"], "variant": variant_id}


def reference_in(payload: str) -> str | None:
    return decode(payload).purpose


async def outcomes() -> list[str]:
    return [row["outcome"] for row in await fetch("SELECT outcome FROM bank_credit ORDER BY id")]


async def events(kind: str) -> list[dict[str, Any]]:
    rows = await fetch("SELECT payload FROM outbox_event WHERE type = $1 ORDER BY id", kind)
    return [json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"] for row in rows]
