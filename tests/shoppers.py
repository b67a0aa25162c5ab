"""Buyers who check out: carts filled through the API, checkout requests, addresses across the country."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

HANOI, HOAN_KIEM = 1, 70
HCMC, VUNG_TAU = 79, 26506


def address(**overrides: Any) -> dict[str, Any]:
    body = {"recipient_name": "Phạm Thị Hoa", "phone": "0912345678", "street": "12 Hàng Bạc",
            "ward_code": HOAN_KIEM, "province_code": HANOI}  # fmt: skip
    body.update(overrides)
    return body


async def guest(client: httpx.AsyncClient) -> dict[str, str]:
    """A new guest cart: the headers that open it."""
    response = await client.post("/api/v1/carts")
    assert response.status_code == 201, response.text
    return {"Cart-Token": response.json()["token"]}


async def fill_cart(client: httpx.AsyncClient, headers: dict[str, str], items: list[tuple[str, int]]) -> None:
    for variant_id, quantity in items:
        response = await client.post(
            "/api/v1/carts/current/lines", json={"variant_id": variant_id, "quantity": quantity}, headers=headers
        )
        assert response.status_code in (200, 201), response.text


def checkout_body(payment_method: str = "cod", **overrides: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"payment_method": payment_method, "shipping_address": address(),
                            "contact": {"phone": "0912345678", "email": "hoa@example.vn"}}  # fmt: skip
    body.update(overrides)
    return body


async def checkout(
    client: httpx.AsyncClient, headers: dict[str, str], body: dict[str, Any] | None = None, key: str | None = None
) -> httpx.Response:
    """POST /api/v1/checkout with a fresh Idempotency-Key unless one is given."""
    return await client.post(
        "/api/v1/checkout",
        json=body if body is not None else checkout_body(),
        headers={**headers, "Idempotency-Key": key or str(uuid.uuid4())},
    )


def variant_ids(product: dict[str, Any]) -> list[str]:
    return [variant["id"] for variant in product["variants"]]
