"""Buyers for the tests: registration bodies, signed-in mobile and web clients, catalog items to put in carts."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from litestar import Litestar

from tests.factories import active_product, api_key, bearer, product_body, registered_seller

_counter = itertools.count(1)
PASSWORD = "mang-cau-ba-den-ngot-lim"


def buyer_body(**overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    body: dict[str, Any] = {"identifier": f"buyer{n}@example.vn", "name": "Phạm Thị Hoa", "password": PASSWORD}
    body.update(overrides)
    return body


async def mobile_buyer(client: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """Register a buyer as a mobile client: {"token", "account", "identifier", "password", "headers"}."""
    body = buyer_body(client="mobile", **overrides)
    response = await client.post("/api/v1/accounts", json=body)
    assert response.status_code == 201, response.text
    token = response.json()["session"]["token"]
    return {"token": token, "account": response.json()["account"], "identifier": body["identifier"],
            "password": body["password"], "headers": bearer(token)}  # fmt: skip


@asynccontextmanager
async def web_client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A browser-like client (https, so that Secure cookies are sent back) on an app whose lifespan is running."""
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="https://testserver.local") as web:
        yield web


def csrf(web: httpx.AsyncClient) -> dict[str, str]:
    """The header a web client echoes its CSRF cookie in."""
    return {"X-CSRF-Token": web.cookies.get("market_csrf") or ""}


async def web_buyer(web: httpx.AsyncClient, **overrides: Any) -> dict[str, Any]:
    """Register a buyer through a web client, which then holds the session and CSRF cookies."""
    body = buyer_body(**overrides)
    response = await web.post("/api/v1/accounts", json=body)
    assert response.status_code == 201, response.text
    assert response.json()["session"]["token"] is None
    return {"account": response.json()["account"], "identifier": body["identifier"], "password": body["password"]}


def variants_body(count: int, **variant: Any) -> list[dict[str, Any]]:
    """`count` plain variants (thùng, stock 50) with unique SKUs."""
    n = next(_counter)
    base = {"unit": "thùng", "unit_size": "thùng 5 kg", "price": 250_000, "weight_g": 5200, "stock": 50}
    return [{**base, "sku": f"T-{n}-{index}", **variant} for index in range(count)]


async def seller_with_products(
    client: httpx.AsyncClient, operator: str, products: list[dict[str, Any]]
) -> dict[str, Any]:
    """An approved seller with these products (product_body overrides) active: {"seller", "key", "products"}."""
    created = await registered_seller(client, approve_with=operator)
    key = await api_key(client, created["session"])
    listed = [await active_product(client, key, operator, **overrides) for overrides in products]
    return {"seller": created["seller"], "key": key, "session": created["session"], "products": listed}


__all__ = ["PASSWORD", "bearer", "buyer_body", "csrf", "mobile_buyer", "product_body", "seller_with_products",
           "variants_body", "web_buyer", "web_client"]  # fmt: skip
