"""Request bodies and principals that look like the province's real sellers."""

from __future__ import annotations

import itertools
from typing import Any

import httpx

from market.operators.service import create_operator

_counter = itertools.count(1)
TAY_NINH = 80
TRANG_BANG = 25708


def phone(n: int | None = None) -> str:
    return f"09{(n if n is not None else next(_counter)) % 100_000_000:08d}"


def seller_body(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    body: dict[str, Any] = {
        "kind": "cooperative",
        "display_name": f"HTX Mãng cầu Bà Đen {n}",
        "legal_name": f"Hợp tác xã Nông nghiệp Mãng cầu Bà Đen {n}",
        "tax_code": f"39{n:08d}",
        "phone": phone(n),
        "email": f"htx{n}@example.vn",
        "province_code": TAY_NINH,
        "ward_code": TRANG_BANG,
        "pickup_address": {
            "street": "Ấp Lộc Trát",
            "ward_code": TRANG_BANG,
            "province_code": TAY_NINH,
            "contact_name": "Chị Lan",
            "phone": phone(n + 50_000),
        },
        "description": "Mãng cầu trồng dưới chân núi Bà Đen.",
        "owner": {"identifier": f"owner{n}@example.vn", "name": "Nguyễn Thị Lan", "password": "mang-cau-ba-den-2026"},
    }
    body.update(overrides)
    return body


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def operator_token() -> str:
    _, token = await create_operator("Trần Văn Minh", f"op{next(_counter)}@market.vn")
    return token


async def registered_seller(client: httpx.AsyncClient, *, approve_with: str | None = None, **overrides: Any) -> dict:
    """Register a seller; returns {"seller": ..., "session": token, "owner": {...}} (approved when given a token)."""
    body = seller_body(**overrides)
    response = await client.post("/seller/v1/sellers", json=body)
    assert response.status_code == 201, response.text
    created = response.json()
    if approve_with:
        approved = await client.post(
            f"/admin/v1/sellers/{created['seller']['id']}/approve", headers=bearer(approve_with)
        )
        assert approved.status_code == 200, approved.text
        created["seller"] = approved.json()
    return {"seller": created["seller"], "session": created["session"]["token"], "owner": body["owner"]}


async def api_key(client: httpx.AsyncClient, session: str, scopes: list[str] | None = None) -> str:
    response = await client.post(
        "/seller/v1/api-keys",
        json={"name": "bảng tính", "scopes": scopes or ["catalog:write", "orders:read", "orders:write"]},
        headers=bearer(session),
    )
    assert response.status_code == 201, response.text
    secret: str = response.json()["secret"]
    return secret
