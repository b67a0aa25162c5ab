"""Helpers of the ledger tests: shops of a given legal form, commission rules, and reading a seller's money."""

from __future__ import annotations

from typing import Any

import httpx

from market.core.db import fetch
from tests.factories import active_product, api_key, bearer, registered_seller


async def shop(
    client: httpx.AsyncClient, operator: str, products: list[dict[str, Any]], kind: str = "household", **seller: Any
) -> dict[str, Any]:
    """An approved seller of this kind (a household has no tax code, a personal id instead) with these products
    active and an API key with every scope: {"seller", "key", "session", "products"}."""
    if kind == "household":
        seller = {"tax_code": None, "personal_id": "079203001234", **seller}
    created = await registered_seller(client, approve_with=operator, kind=kind, **seller)
    key = await api_key(client, created["session"], ["catalog:write", "orders:read", "orders:write", "money:read"])
    listed = [await active_product(client, key, operator, **overrides) for overrides in products]
    return {"seller": created["seller"], "key": key, "session": created["session"], "products": listed}


async def category_id(slug: str) -> str:
    return str((await fetch("SELECT id FROM category WHERE slug = $1", slug))[0]["id"])


async def rule(client: httpx.AsyncClient, operator: str, **body: Any) -> dict[str, Any]:
    answer = await client.post("/admin/v1/commission-rules", json=body, headers=bearer(operator))
    assert answer.status_code == 201, answer.text
    assert answer.headers["location"] == f"/admin/v1/commission-rules/{answer.json()['id']}"
    return dict(answer.json())


async def balance(client: httpx.AsyncClient, key: str) -> dict[str, Any]:
    answer = await client.get("/seller/v1/balance", headers=bearer(key))
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


async def entries(client: httpx.AsyncClient, key: str, **params: Any) -> list[dict[str, Any]]:
    answer = await client.get("/seller/v1/ledger/entries", params=params, headers=bearer(key))
    assert answer.status_code == 200, answer.text
    return list(answer.json()["data"])
