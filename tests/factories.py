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


def product_body(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    body: dict[str, Any] = {
        "name": "Mãng cầu Bà Đen loại 1",
        "category": "mang-cau",
        "description": "Trái to, ngọt thanh, hái trong ngày.",
        "origin": {"province_code": TAY_NINH, "ward_code": TRANG_BANG, "farm": "Vườn cô Lan"},
        "images": ["https://1.1.1.1/mang-cau.jpg"],
        "storage": "ambient",
        "shelf_life_days": 5,
        "certifications": [
            {"type": "vietgap", "number": f"VG-{n:05d}", "issuer": "Trung tâm Chất lượng Nông Lâm Thủy sản",
             "valid_until": "2030-12-31"},
            {"type": "ocop", "number": f"QĐ-{n}/UBND", "issuer": "UBND tỉnh Tây Ninh", "ocop_stars": 4,
             "valid_until": "2029-06-30"},
        ],
        "variants": [
            {"sku": f"MC-1KG-{n}", "unit": "kg", "unit_size": "1 kg", "price": 65000, "weight_g": 1050,
             "stock": 40, "catch_weight": True, "tolerance_percent": 10},
            {"sku": f"MC-THUNG-{n}", "unit": "thùng", "unit_size": "thùng 5 kg", "price": 300000,
             "compare_at_price": 325000, "weight_g": 5400, "stock": 8, "max_per_order": 5},
        ],
    }  # fmt: skip
    body.update(overrides)
    return body


async def active_product(client: httpx.AsyncClient, key: str, operator: str, **overrides: Any) -> dict:
    """Create, submit and approve a product; returns the seller's view of it."""
    created = await client.post("/seller/v1/products", json=product_body(**overrides), headers=bearer(key))
    assert created.status_code == 201, created.text
    product_id = created.json()["id"]
    submitted = await client.post(f"/seller/v1/products/{product_id}/submit", headers=bearer(key))
    assert submitted.status_code == 200, submitted.text
    approved = await client.post(f"/admin/v1/products/{product_id}/approve", headers=bearer(operator))
    assert approved.status_code == 200, approved.text
    result: dict = approved.json()
    return result
