"""The catalog through the seller API, operators' moderation and the storefront."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, date, datetime

import httpx
import pytest

from market.app import create_app
from market.catalog.tables import Certification, Product, Variant
from market.core import clock
from market.inventory.tables import StockLevel
from market.settings import Settings
from tests.factories import active_product, api_key, bearer, product_body, registered_seller
from tests.http import app_client
from tests.services import OwnRedis


async def test_seller_creates_a_draft_with_variants_stock_and_origin(client: httpx.AsyncClient, seller: dict) -> None:
    response = await client.post("/seller/v1/products", json=product_body(), headers=bearer(seller["key"]))
    assert response.status_code == 201, response.text
    product = response.json()
    assert product["status"] == "draft"
    assert product["slug"].startswith("mang-cau-ba-den-loai-1-")
    assert product["origin"]["province"] == {"code": 80, "name": "Tây Ninh"}
    assert product["origin"]["ward"]["name"] == "Phường Trảng Bàng"
    first, box = product["variants"]
    assert (first["price"], first["stock"], first["available"], first["catch_weight"]) == (65000, 40, 40, True)
    assert box["compare_at_price"] == 325000 and box["currency"] == "VND"
    assert {c["type"] for c in product["certifications"]} == {"vietgap", "ocop"}


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"variants": [{**product_body()["variants"][0], "price": -1}]}, "variants[0].price", "out_of_range"),
        ({"variants": [{**product_body()["variants"][0], "price": 1.5}]}, "variants[0].price", "invalid_type"),
        ({"variants": [{**product_body()["variants"][0], "price": 10**12}]}, "variants[0].price", "out_of_range"),
        ({"variants": [{**product_body()["variants"][0], "unit": "tấn"}]}, "variants[0].unit", "invalid_choice"),
        ({"category": "vang-bac"}, "category", "unknown_category"),
        ({"origin": {"province_code": 81}}, "origin.province_code", "unknown_province"),
        ({"name": "M" * 161}, "name", "out_of_range"),
        ({"images": ["http://1.1.1.1/a.jpg"]}, "images[0]", "https_required"),
        ({"images": ["https://10.0.0.7/a.jpg"]}, "images[0]", "host_not_allowed"),
        ({"images": ["https://127.0.0.1/a.jpg"]}, "images[0]", "host_not_allowed"),
        ({"images": ["https://169.254.169.254/latest/meta-data"]}, "images[0]", "host_not_allowed"),
        ({"images": ["https://[::1]/a.jpg"]}, "images[0]", "host_not_allowed"),
        ({"seller_id": "sel_someone_else"}, "seller_id", "unknown_field"),
        ({"status": "active"}, "status", "unknown_field"),
        ({"created_at": "2020-01-01T00:00:00Z"}, "created_at", "unknown_field"),
    ],
)
async def test_bad_product_input_names_the_field_and_writes_nothing(
    client: httpx.AsyncClient, seller: dict, change: dict, field: str, code: str
) -> None:
    response = await client.post("/seller/v1/products", json=product_body(**change), headers=bearer(seller["key"]))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (field, code) in [(e["field"], e["code"]) for e in response.json()["errors"]], response.json()
    assert await Product.count() == 0 and await Variant.count() == 0 and await StockLevel.count() == 0


async def test_rule_violations_are_reported_together(client: httpx.AsyncClient, seller: dict) -> None:
    variant = product_body()["variants"][0]
    body = product_body(
        variants=[variant, {**variant, "catch_weight": False, "tolerance_percent": None, "stock": None}],
        certifications=[{"type": "ocop", "number": "1", "issuer": "UBND", "valid_until": "2020-01-01"}],
    )
    response = await client.post("/seller/v1/products", json=body, headers=bearer(seller["key"]))
    assert response.status_code == 422
    found = {(e["field"], e["code"]) for e in response.json()["errors"]}
    assert found >= {
        ("variants[1].sku", "duplicate_sku"),
        ("variants[1].stock", "stock_or_preorder"),
        ("certifications[0].ocop_stars", "required"),
        ("certifications[0].valid_until", "expired"),
    }


async def test_sku_is_unique_per_seller_not_across_sellers(
    client: httpx.AsyncClient, seller: dict, operator: str
) -> None:
    body = product_body()
    assert (await client.post("/seller/v1/products", json=body, headers=bearer(seller["key"]))).status_code == 201
    again = await client.post("/seller/v1/products", json=body, headers=bearer(seller["key"]))
    assert again.status_code == 422
    assert again.json()["errors"][0]["code"] == "duplicate_sku"
    other = await registered_seller(client, approve_with=operator)
    other_key = await api_key(client, other["session"])
    assert (await client.post("/seller/v1/products", json=body, headers=bearer(other_key))).status_code == 201


async def test_another_sellers_product_is_a_404_everywhere(
    client: httpx.AsyncClient, seller: dict, operator: str
) -> None:
    product = (await client.post("/seller/v1/products", json=product_body(), headers=bearer(seller["key"]))).json()
    intruder = await api_key(client, (await registered_seller(client, approve_with=operator))["session"])
    pid, vid = product["id"], product["variants"][0]["id"]
    calls = [
        client.get(f"/seller/v1/products/{pid}", headers=bearer(intruder)),
        client.patch(f"/seller/v1/products/{pid}", json={"name": "Của tôi"}, headers=bearer(intruder)),
        client.post(f"/seller/v1/products/{pid}/archive", headers=bearer(intruder)),
        client.post(f"/seller/v1/products/{pid}/submit", headers=bearer(intruder)),
        client.patch(f"/seller/v1/products/{pid}/variants/{vid}", json={"price": 1000}, headers=bearer(intruder)),
    ]
    for call in calls:
        response = await call
        assert response.status_code == 404, response.text
    listed = await client.get("/seller/v1/products", headers=bearer(intruder))
    assert listed.json()["data"] == []
    bulk = await client.post(
        "/seller/v1/inventory/bulk-update", json={"items": [{"variant_id": vid, "stock": 0}]}, headers=bearer(intruder)
    )
    assert bulk.json()["results"][0]["error"]["code"] == "not_found"
    assert (await StockLevel.select(StockLevel.on_hand).where(StockLevel.variant_id == vid))[0]["on_hand"] == 40


async def test_key_without_catalog_scope_cannot_write(client: httpx.AsyncClient, seller: dict) -> None:
    read_only = await api_key(client, seller["session"], ["orders:read"])
    response = await client.post("/seller/v1/products", json=product_body(), headers=bearer(read_only))
    assert response.status_code == 403
    assert response.json()["code"] == "insufficient_scope"
    assert (await client.get("/seller/v1/products", headers=bearer(read_only))).status_code == 200


async def test_moderation_and_public_visibility(client: httpx.AsyncClient, seller: dict, operator: str) -> None:
    key = seller["key"]
    draft = (await client.post("/seller/v1/products", json=product_body(), headers=bearer(key))).json()
    assert (await client.get(f"/api/v1/products/{draft['slug']}")).status_code == 404
    await client.post(f"/seller/v1/products/{draft['id']}/submit", headers=bearer(key))
    queue = (await client.get("/admin/v1/products/?status=pending_review", headers=bearer(operator))).json()["data"]
    assert [p["id"] for p in queue] == [draft["id"]]
    rejected = await client.post(
        f"/admin/v1/products/{draft['id']}/reject", json={"reason": "Ảnh mờ"}, headers=bearer(operator)
    )
    assert rejected.json()["status"] == "rejected" and rejected.json()["rejection_reason"] == "Ảnh mờ"
    illegal = await client.post(f"/admin/v1/products/{draft['id']}/approve", headers=bearer(operator))
    assert illegal.status_code == 409 and illegal.json()["current_status"] == "rejected"
    await client.post(f"/seller/v1/products/{draft['id']}/submit", headers=bearer(key))
    await client.post(f"/admin/v1/products/{draft['id']}/approve", headers=bearer(operator))

    detail = await client.get(f"/api/v1/products/{draft['slug']}")
    assert detail.status_code == 200
    body = detail.json()
    assert body["seller"]["slug"] == seller["seller"]["slug"]
    assert body["origin"]["farm"] == "Vườn cô Lan"
    assert [v["unit_size"] for v in body["variants"]] == ["1 kg", "thùng 5 kg"]
    listed = (await client.get("/api/v1/products?category=trai-cay&province=80&certification=ocop")).json()
    assert [p["slug"] for p in listed["data"]] == [draft["slug"]]
    assert listed["data"][0]["price_min"] == 65000 and listed["data"][0]["price_max"] == 300000


async def test_content_edit_sends_back_to_review_but_price_does_not(
    client: httpx.AsyncClient, seller: dict, operator: str
) -> None:
    product = await active_product(client, seller["key"], operator)
    variant_id = product["variants"][0]["id"]
    priced = await client.patch(
        f"/seller/v1/products/{product['id']}/variants/{variant_id}", json={"price": 70000, "stock": 12},
        headers=bearer(seller["key"]),
    )  # fmt: skip
    assert priced.json()["status"] == "active"
    assert priced.json()["variants"][0]["price"] == 70000 and priced.json()["variants"][0]["stock"] == 12
    renamed = await client.patch(
        f"/seller/v1/products/{product['id']}", json={"name": "Mãng cầu siêu ngọt"}, headers=bearer(seller["key"])
    )
    assert renamed.json()["status"] == "pending_review"
    assert (await client.get(f"/api/v1/products/{product['slug']}")).status_code == 404


async def test_expired_certification_stops_showing_and_matching(
    client: httpx.AsyncClient, seller: dict, operator: str
) -> None:
    product = await active_product(client, seller["key"], operator)
    await Certification.update({Certification.valid_until: date(2024, 1, 1)}).where(
        (Certification.product == product["id"]) & (Certification.type == "ocop")
    )
    detail = (await client.get(f"/api/v1/products/{product['slug']}")).json()
    assert [c["type"] for c in detail["certifications"]] == ["vietgap"]
    assert (await client.get("/api/v1/products?certification=ocop")).json()["data"] == []
    assert len((await client.get("/api/v1/products?certification=vietgap")).json()["data"]) == 1


async def test_suspended_sellers_products_leave_the_storefront(
    client: httpx.AsyncClient, seller: dict, operator: str
) -> None:
    product = await active_product(client, seller["key"], operator)
    await client.post(
        f"/admin/v1/sellers/{seller['seller']['id']}/suspend", json={"reason": "Kiểm tra"}, headers=bearer(operator)
    )
    assert (await client.get("/api/v1/products")).json()["data"] == []
    assert (await client.get(f"/api/v1/products/{product['slug']}")).status_code == 404


async def test_bulk_update_applies_each_item_on_its_own(client: httpx.AsyncClient, seller: dict) -> None:
    product = (await client.post("/seller/v1/products", json=product_body(), headers=bearer(seller["key"]))).json()
    kg, box = product["variants"]
    await StockLevel.update({StockLevel.reserved: 3}).where(StockLevel.variant_id == box["id"])
    items = [
        {"sku": kg["sku"], "stock": 100, "price": 60000},
        {"sku": "NO-SUCH-SKU", "stock": 5},
        {"variant_id": box["id"], "stock": 2},
        {"variant_id": box["id"], "price": 400000},
        {"sku": kg["sku"]},
    ]
    response = await client.post(
        "/seller/v1/inventory/bulk-update", json={"items": items}, headers=bearer(seller["key"])
    )
    assert response.status_code == 200, response.text
    result = response.json()
    assert (result["updated"], result["failed"]) == (1, 4)
    codes = [r["error"]["code"] if r["error"] else "ok" for r in result["results"]]
    assert codes == ["ok", "not_found", "below_reserved", "not_below_compare_at_price", "nothing_to_update"]
    after = (await client.get(f"/seller/v1/products/{product['id']}", headers=bearer(seller["key"]))).json()
    assert (after["variants"][0]["price"], after["variants"][0]["stock"]) == (60000, 100)
    assert after["variants"][1]["stock"] == 8


async def test_bulk_update_refuses_more_than_1000_items(client: httpx.AsyncClient, seller: dict) -> None:
    items = [{"sku": f"S{i}", "stock": 1} for i in range(1001)]
    response = await client.post(
        "/seller/v1/inventory/bulk-update", json={"items": items}, headers=bearer(seller["key"])
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "items"


async def test_pagination_walks_every_product_once(client: httpx.AsyncClient, seller: dict, operator: str) -> None:
    slugs = {(await active_product(client, seller["key"], operator))["slug"] for _ in range(3)}
    seen, cursor = [], None
    while True:
        page = await client.get("/api/v1/products", params={"limit": 2, **({"cursor": cursor} if cursor else {})})
        body = page.json()
        seen += [p["slug"] for p in body["data"]]
        if not body["has_more"]:
            break
        cursor = body["next_cursor"]
    assert sorted(seen) == sorted(slugs)
    bad = await client.get("/api/v1/products", params={"cursor": "not-a-cursor!"})
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"
    assert (await client.get("/api/v1/products", params={"limit": 101})).status_code in (400, 422)


async def test_categories_are_a_vietnamese_tree(client: httpx.AsyncClient, categories: None) -> None:
    tree = (await client.get("/api/v1/categories")).json()
    fruit = next(node for node in tree if node["slug"] == "trai-cay")
    assert fruit["name"] == "Trái cây"
    assert "mang-cau" in [child["slug"] for child in fruit["children"]]


async def test_cached_detail_follows_a_price_change_within_a_second(
    client: httpx.AsyncClient, seller: dict, operator: str, worker: Callable[[], Awaitable[None]]
) -> None:
    product = await active_product(client, seller["key"], operator)
    await worker()
    url = f"/api/v1/products/{product['slug']}"
    assert (await client.get(url)).json()["variants"][0]["price"] == 65000  # now cached
    variant_id = product["variants"][0]["id"]
    changed_at = time.monotonic()
    await client.patch(
        f"/seller/v1/products/{product['id']}/variants/{variant_id}", json={"price": 59000},
        headers=bearer(seller["key"]),
    )  # fmt: skip
    while (await client.get(url)).json()["variants"][0]["price"] != 59000:
        assert time.monotonic() - changed_at < 1.0, "the cached detail was not invalidated within 1 s"
        await asyncio.sleep(0.02)


async def test_product_detail_is_served_from_postgres_while_redis_is_down(
    settings: Settings, client: httpx.AsyncClient, seller: dict, operator: str, own_redis: OwnRedis
) -> None:
    product = await active_product(client, seller["key"], operator)
    async with app_client(create_app(replace(settings, redis_url=own_redis.url))) as cut_off:
        own_redis.stop()
        detail = await cut_off.get(f"/api/v1/products/{product['slug']}")
        assert detail.status_code == 200, detail.text
        assert detail.json()["variants"][0]["price"] == 65000
        assert (await cut_off.get("/api/v1/products")).status_code == 200


async def test_two_creates_racing_for_one_sku_never_answer_500(client: httpx.AsyncClient, seller: dict) -> None:
    body = product_body()
    responses = await asyncio.gather(
        *(client.post("/seller/v1/products", json=body, headers=bearer(seller["key"])) for _ in range(10))
    )
    statuses = sorted(response.status_code for response in responses)
    assert statuses.count(201) == 1, statuses
    assert set(statuses) <= {201, 409, 422}, statuses
    assert await Variant.count() == 2


NOON_1_DECEMBER = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # 12:00 on 1 December in Vietnam
LAST_MINUTE_1_DECEMBER = datetime(2026, 12, 1, 16, 59, tzinfo=UTC)  # 23:59 on 1 December in Vietnam
MORNING_2_DECEMBER = datetime(2026, 12, 1, 23, 8, tzinfo=UTC)  # 06:08 on 2 December in Vietnam, 1 December in UTC


async def test_a_certificate_valid_until_1_december_is_gone_at_0608_on_2_december_in_vietnam(
    client: httpx.AsyncClient, seller: dict, operator: str
) -> None:
    certificate = {"type": "vietgap", "number": "VG-1201", "issuer": "Chi cục Trồng trọt Tây Ninh",
                   "valid_until": "2026-12-01"}  # fmt: skip
    with clock.frozen_at(NOON_1_DECEMBER):
        product = await active_product(client, seller["key"], operator, certifications=[certificate])
    detail_url, mine = f"/api/v1/products/{product['slug']}", f"/seller/v1/products/{product['id']}"

    with clock.frozen_at(LAST_MINUTE_1_DECEMBER):
        last_day = (await client.get(detail_url)).json()  # cached now, in Redis and in the process
        matching = (await client.get("/api/v1/products", params={"certification": "vietgap"})).json()["data"]
    with clock.frozen_at(MORNING_2_DECEMBER):
        morning = (await client.get(detail_url)).json()
        matching_after = (await client.get("/api/v1/products", params={"certification": "vietgap"})).json()["data"]
        listed = (await client.get("/api/v1/products")).json()["data"]
        seller_view = (await client.get(mine, headers=bearer(seller["key"]))).json()

    assert [(c["number"], c["expired"]) for c in last_day["certifications"]] == [("VG-1201", False)]
    assert [p["id"] for p in matching] == [product["id"]]
    assert morning["certifications"] == []  # not the cached page of the day before
    assert matching_after == [] and [p["certifications"] for p in listed] == [[]]
    assert [(c["number"], c["expired"]) for c in seller_view["certifications"]] == [("VG-1201", True)]


async def test_a_certificate_ending_yesterday_in_vietnam_is_refused_at_creation(
    client: httpx.AsyncClient, seller: dict
) -> None:
    certificate = {"type": "vietgap", "number": "VG-1", "issuer": "Chi cục", "valid_until": "2026-12-01"}
    with clock.frozen_at(MORNING_2_DECEMBER):
        response = await client.post("/seller/v1/products", json=product_body(certifications=[certificate]),
                                     headers=bearer(seller["key"]))  # fmt: skip
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0] == {**response.json()["errors"][0], "field": "certifications[0].valid_until",
                                            "code": "expired"}  # fmt: skip
