"""Operators take an active product down with a reason the seller reads: it leaves the storefront, carts and
search; the seller fixes and resubmits it, or an operator reinstates it."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from tests.buyers import mobile_buyer
from tests.factories import active_product, bearer, product_body

Drain = Callable[[], Awaitable[None]]


async def take_down(client: httpx.AsyncClient, operator: str, product_id: str, reason: str) -> httpx.Response:
    return await client.post(
        f"/admin/v1/products/{product_id}/take-down", json={"reason": reason}, headers=bearer(operator)
    )


async def found_in_search(client: httpx.AsyncClient, words: str, slug: str, wanted: bool, seconds: float = 10) -> bool:
    """Whether `slug` is among the hits for `words`, once it is as `wanted` or the time is up (the index keeps
    other tests' products, so only this one's presence counts)."""
    deadline = time.monotonic() + seconds
    while True:
        body = (await client.get("/api/v1/search", params={"q": words})).json()
        present = slug in [hit["slug"] for hit in body["hits"]]
        if present == wanted or time.monotonic() > deadline:
            return present
        await asyncio.sleep(0.1)


async def test_a_taken_down_product_leaves_storefront_and_search_and_its_seller_reads_why(
    client: httpx.AsyncClient, seller: dict[str, Any], operator: str, worker: Drain
) -> None:
    product = await active_product(client, seller["key"], operator, name="Khóm Bến Lức mật ong", category="khom-dua")
    await worker()
    assert await found_in_search(client, "khom ben luc", product["slug"], wanted=True)
    assert (await client.get(f"/api/v1/products/{product['slug']}")).status_code == 200  # now in the detail cache

    down = await take_down(client, operator, product["id"], "Ghi sai xuất xứ trên nhãn")
    assert down.status_code == 200, down.text
    assert down.json()["status"] == "taken_down"
    taken_at = time.monotonic()
    while (await client.get(f"/api/v1/products/{product['slug']}")).status_code != 404:
        assert time.monotonic() - taken_at < 2.0, "the cached detail still shows the product after 2 s"
        await asyncio.sleep(0.02)
    await worker()
    assert (await client.get("/api/v1/products")).json()["data"] == []
    assert not await found_in_search(client, "khom ben luc", product["slug"], wanted=False)
    buyer = await mobile_buyer(client)
    added = await client.post(
        "/api/v1/carts/current/lines", json={"variant_id": product["variants"][0]["id"], "quantity": 1},
        headers=buyer["headers"],
    )  # fmt: skip
    assert added.status_code == 422 and added.json()["errors"][0]["code"] == "variant_unavailable"

    mine = (await client.get(f"/seller/v1/products/{product['id']}", headers=bearer(seller["key"]))).json()
    assert (mine["status"], mine["rejection_reason"]) == ("taken_down", "Ghi sai xuất xứ trên nhãn")
    listed = await client.get("/seller/v1/products?status=taken_down", headers=bearer(seller["key"]))
    assert [p["id"] for p in listed.json()["data"]] == [product["id"]]
    queue = await client.get("/admin/v1/products/?status=taken_down", headers=bearer(operator))
    assert [p["id"] for p in queue.json()["data"]] == [product["id"]]


async def test_the_seller_fixes_and_resubmits_a_taken_down_product(
    client: httpx.AsyncClient, seller: dict[str, Any], operator: str
) -> None:
    key = seller["key"]
    product = await active_product(client, key, operator)
    await take_down(client, operator, product["id"], "Ảnh không phải sản phẩm thật")
    fixed = await client.patch(
        f"/seller/v1/products/{product['id']}", json={"images": ["https://1.1.1.1/mang-cau-that.jpg"]},
        headers=bearer(key),
    )  # fmt: skip
    assert fixed.status_code == 200, fixed.text
    assert fixed.json()["status"] == "taken_down"  # an edit alone does not put it back on sale
    assert (await client.get(f"/api/v1/products/{product['slug']}")).status_code == 404
    submitted = await client.post(f"/seller/v1/products/{product['id']}/submit", headers=bearer(key))
    assert submitted.status_code == 200, submitted.text
    assert (submitted.json()["status"], submitted.json()["rejection_reason"]) == ("pending_review", None)
    approved = await client.post(f"/admin/v1/products/{product['id']}/approve", headers=bearer(operator))
    assert approved.json()["status"] == "active"
    assert (await client.get(f"/api/v1/products/{product['slug']}")).status_code == 200


async def test_an_operator_reinstates_a_product_taken_down_in_error(
    client: httpx.AsyncClient, seller: dict[str, Any], operator: str
) -> None:
    product = await active_product(client, seller["key"], operator)
    await take_down(client, operator, product["id"], "Nghi hàng giả")
    path = f"/admin/v1/products/{product['id']}/reinstate"
    no_reason = await client.post(path, json={}, headers=bearer(operator))
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    back = await client.post(path, json={"reason": "Đã kiểm tra: hàng thật"}, headers=bearer(operator))
    assert back.status_code == 200, back.text
    assert (back.json()["status"], back.json()["rejection_reason"]) == ("active", None)
    assert (await client.get(f"/api/v1/products/{product['slug']}")).status_code == 200
    again = await client.post(path, json={"reason": "lần nữa"}, headers=bearer(operator))
    assert again.status_code == 409 and again.json()["current_status"] == "active"


async def test_only_an_active_product_is_taken_down_and_only_with_a_reason(
    client: httpx.AsyncClient, seller: dict[str, Any], operator: str
) -> None:
    draft = (await client.post("/seller/v1/products", json=product_body(), headers=bearer(seller["key"]))).json()
    illegal = await take_down(client, operator, draft["id"], "Sai")
    assert illegal.status_code == 409
    assert (illegal.json()["code"], illegal.json()["current_status"]) == ("illegal_transition", "draft")
    product = await active_product(client, seller["key"], operator)
    no_reason = await client.post(f"/admin/v1/products/{product['id']}/take-down", json={}, headers=bearer(operator))
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    unknown = await take_down(client, operator, "prd_nope", "Sai")
    assert unknown.status_code == 404
    twice = [await take_down(client, operator, product["id"], "Sai") for _ in range(2)]
    assert [r.status_code for r in twice] == [200, 409]


async def test_sellers_and_buyers_cannot_take_products_down(
    client: httpx.AsyncClient, seller: dict[str, Any], operator: str
) -> None:
    product = await active_product(client, seller["key"], operator)
    buyer = await mobile_buyer(client)
    for headers in ({}, bearer(seller["key"]), bearer(seller["session"]), buyer["headers"]):
        response = await client.post(
            f"/admin/v1/products/{product['id']}/take-down", json={"reason": "Sai"}, headers=headers
        )
        assert response.status_code == 401, headers
    assert (await client.get(f"/api/v1/products/{product['slug']}")).status_code == 200


async def test_a_seller_archives_a_taken_down_product(
    client: httpx.AsyncClient, seller: dict[str, Any], operator: str
) -> None:
    product = await active_product(client, seller["key"], operator)
    await take_down(client, operator, product["id"], "Hết mùa, nhãn sai")
    archived = await client.post(f"/seller/v1/products/{product['id']}/archive", headers=bearer(seller["key"]))
    assert archived.status_code == 200 and archived.json()["status"] == "archived"
