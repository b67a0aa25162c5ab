"""The seller order's lifecycle through the three audiences' APIs: buyers, sellers (seller API), operators."""

from __future__ import annotations

from datetime import date, timedelta

import httpx
import pytest

from market.core.db import fetch
from market.inventory.service import levels
from market.orders import service
from tests.buyers import mobile_buyer, seller_with_products
from tests.factories import api_key, bearer
from tests.shoppers import checkout, checkout_body, fill_cart, variant_ids


@pytest.fixture
async def placed(client: httpx.AsyncClient, operator: str, categories: None) -> dict:
    """A COD order of 2 kg (catch weight, ±10%) and 1 box from one seller: {"shop", "buyer", "order", "sor"}."""
    shop = await seller_with_products(client, operator, [{}])
    kg, box = variant_ids(shop["products"][0])
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(kg, 2), (box, 1)])
    response = await checkout(client, buyer["headers"])
    assert response.status_code == 201, response.text
    order = response.json()
    return {"shop": shop, "buyer": buyer, "order": order, "sor": order["seller_orders"][0], "kg": kg, "box": box}


async def test_seller_packs_a_catch_weight_order(client: httpx.AsyncClient, placed: dict) -> None:
    key, sor = bearer(placed["shop"]["key"]), placed["sor"]
    todo = await client.get("/seller/v1/orders", params={"status": "confirmed"}, headers=key)
    assert [item["id"] for item in todo.json()["data"]] == [sor["id"]]
    assert todo.json()["data"][0]["shipping_address"]["recipient_name"] == "Phạm Thị Hoa"

    early = await client.post(f"/seller/v1/orders/{sor['id']}/pack", json={"lines": []}, headers=key)
    assert early.status_code == 409
    assert early.json()["code"] == "illegal_transition" and early.json()["current_status"] == "confirmed"

    packing = await client.post(f"/seller/v1/orders/{sor['id']}/start-packing", headers=key)
    assert packing.status_code == 200 and packing.json()["status"] == "packing"

    kg_line = next(line for line in sor["lines"] if line["catch_weight"])
    box_line = next(line for line in sor["lines"] if not line["catch_weight"])
    missing = await client.post(f"/seller/v1/orders/{sor['id']}/pack", json={"lines": []}, headers=key)
    assert missing.status_code == 422 and missing.json()["errors"][0]["code"] == "packed_weight_required"
    unknown = await client.post(f"/seller/v1/orders/{sor['id']}/pack", headers=key,
                                json={"lines": [{"line_id": "oln_nope", "packed_weight_g": 2000}]})  # fmt: skip
    assert unknown.status_code == 422
    assert {e["code"] for e in unknown.json()["errors"]} == {"unknown_line", "packed_weight_required"}
    wrong = await client.post(f"/seller/v1/orders/{sor['id']}/pack", headers=key,
                              json={"lines": [{"line_id": box_line["id"], "packed_weight_g": 5000}]})  # fmt: skip
    assert wrong.status_code == 422 and wrong.json()["errors"][0]["code"] == "not_catch_weight"
    heavy = await client.post(f"/seller/v1/orders/{sor['id']}/pack", headers=key,
                              json={"lines": [{"line_id": kg_line["id"], "packed_weight_g": 2400}]})  # fmt: skip
    assert heavy.status_code == 422
    assert heavy.json()["errors"][0] == {
        "field": "lines[0].packed_weight_g", "code": "packed_weight_out_of_tolerance",
        "message": "Ordered 2100 g; the packed weight must be between 1890 and 2310 g (±10%)."}  # fmt: skip

    packed = await client.post(f"/seller/v1/orders/{sor['id']}/pack", headers=key,
                               json={"lines": [{"line_id": kg_line["id"], "packed_weight_g": 2184}]})  # fmt: skip
    assert packed.status_code == 200, packed.text
    result = packed.json()
    line = next(line for line in result["lines"] if line["catch_weight"])
    # 2 kg ordered at 65,000 đ (2,100 g nominal), packed 2,184 g (+4%): 135,200 đ.
    assert line["catch_weight"] == {"tolerance_percent": 10, "packed_weight_g": 2184, "final_total": 135_200}
    assert result["final_subtotal"] == 135_200 + 300_000
    assert result["cod_amount"] == result["total"] == 435_200 + sor["shipping_fee"]
    assert result["status"] == "packed"
    assert [step["to_status"] for step in result["history"]] == ["confirmed", "packing", "packed"]
    assert result["history"][-1]["actor"].startswith(f"seller:{placed['shop']['seller']['id']}")

    again = await client.post(f"/seller/v1/orders/{sor['id']}/pack", json={"lines": []}, headers=key)
    assert again.status_code == 409 and again.json()["current_status"] == "packed"


async def test_another_sellers_order_is_not_found(client: httpx.AsyncClient, operator: str, placed: dict) -> None:
    other = await seller_with_products(client, operator, [])
    sor = placed["sor"]["id"]
    for method, path in (("GET", f"/seller/v1/orders/{sor}"), ("POST", f"/seller/v1/orders/{sor}/start-packing"),
                         ("POST", f"/seller/v1/orders/{sor}/cancel")):  # fmt: skip
        body = {"reason": "x"} if path.endswith("cancel") else None
        response = await client.request(method, path, json=body, headers=bearer(other["key"]))
        assert response.status_code == 404, (path, response.text)
    listed = await client.get("/seller/v1/orders", headers=bearer(other["key"]))
    assert listed.json()["data"] == []


async def test_read_only_key_cannot_pack(client: httpx.AsyncClient, placed: dict) -> None:
    read_only = await api_key(client, placed["shop"]["session"], ["orders:read"])
    assert (await client.get("/seller/v1/orders", headers=bearer(read_only))).status_code == 200
    response = await client.post(f"/seller/v1/orders/{placed['sor']['id']}/start-packing", headers=bearer(read_only))
    assert response.status_code == 403 and response.json()["code"] == "insufficient_scope"


async def test_buyer_cancels_before_handover(client: httpx.AsyncClient, placed: dict) -> None:
    buyer, order, sor = placed["buyer"], placed["order"], placed["sor"]
    path = f"/api/v1/orders/{order['id']}/seller-orders/{sor['id']}/cancel"

    response = await client.post(path, json={"reason": "Đặt nhầm địa chỉ"}, headers=buyer["headers"])

    assert response.status_code == 200, response.text
    cancelled = response.json()
    assert cancelled["status"] == "cancelled"
    assert cancelled["seller_orders"][0]["history"][-1]["reason"] == "Đặt nhầm địa chỉ"
    stock = await levels([placed["kg"], placed["box"]])
    assert (stock[placed["kg"]].reserved, stock[placed["box"]].reserved) == (0, 0)
    twice = await client.post(path, json={"reason": "again"}, headers=buyer["headers"])
    assert twice.status_code == 409 and twice.json()["current_status"] == "cancelled"
    assert (await levels([placed["kg"]]))[placed["kg"]].reserved == 0


async def test_buyers_see_only_their_own_orders(client: httpx.AsyncClient, placed: dict) -> None:
    stranger = await mobile_buyer(client)
    order, sor = placed["order"], placed["sor"]
    assert (await client.get(f"/api/v1/orders/{order['id']}", headers=stranger["headers"])).status_code == 404
    cancel = await client.post(f"/api/v1/orders/{order['id']}/seller-orders/{sor['id']}/cancel",
                               json={"reason": "x"}, headers=stranger["headers"])  # fmt: skip
    assert cancel.status_code == 404
    assert (await client.get("/api/v1/orders", headers=stranger["headers"])).json()["data"] == []
    mine = await client.get("/api/v1/orders", headers=placed["buyer"]["headers"])
    assert [item["id"] for item in mine.json()["data"]] == [order["id"]]
    assert (await client.get("/api/v1/orders")).status_code == 401


async def test_a_seller_order_is_cancelled_only_through_its_own_order(client: httpx.AsyncClient, placed: dict) -> None:
    buyer = placed["buyer"]
    await fill_cart(client, buyer["headers"], [(placed["kg"], 1)])
    other = (await checkout(client, buyer["headers"])).json()
    path = f"/api/v1/orders/{other['id']}/seller-orders/{placed['sor']['id']}/cancel"

    response = await client.post(path, json={"reason": "x"}, headers=buyer["headers"])

    assert response.status_code == 404
    assert (await fetch("SELECT status FROM seller_order WHERE id = $1", placed["sor"]["id"]))[0][
        "status"
    ] == "confirmed"


async def test_buyer_cannot_cancel_after_handover(client: httpx.AsyncClient, placed: dict) -> None:
    sor = placed["sor"]["id"]
    await fetch("UPDATE seller_order SET status = 'handed_over' WHERE id = $1", sor)
    response = await client.post(f"/api/v1/orders/{placed['order']['id']}/seller-orders/{sor}/cancel",
                                 json={"reason": "quá lâu"}, headers=placed["buyer"]["headers"])  # fmt: skip
    assert response.status_code == 409
    assert response.json()["current_status"] == "handed_over"
    assert "delivered" in response.json()["allowed"]


async def test_operators_see_everything_cancel_and_refund(
    client: httpx.AsyncClient, operator: str, placed: dict
) -> None:
    ops, sor = bearer(operator), placed["sor"]["id"]
    listed = await client.get("/admin/v1/orders", headers=ops)
    assert [item["id"] for item in listed.json()["data"]] == [placed["order"]["id"]]
    assert (await client.get("/admin/v1/orders", headers=placed["buyer"]["headers"])).status_code == 401

    nothing = await client.post(f"/admin/v1/seller-orders/{sor}/refund", json={"reason": "khiếu nại"}, headers=ops)
    assert nothing.status_code == 409 and nothing.json()["current_status"] == "confirmed"

    cancelled = await client.post(f"/admin/v1/seller-orders/{sor}/cancel", json={"reason": "Hàng hỏng"}, headers=ops)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert cancelled.json()["history"][-1]["actor"].startswith("operator:")
    # Cash on delivery never collected: nothing to refund.
    refund = await client.post(f"/admin/v1/seller-orders/{sor}/refund", json={"reason": "khiếu nại"}, headers=ops)
    assert refund.status_code == 409 and refund.json()["code"] == "nothing_to_refund"
    filtered = await client.get("/admin/v1/seller-orders", params={"status": "cancelled"}, headers=ops)
    assert [item["id"] for item in filtered.json()["data"]] == [sor]


async def test_lists_page_with_cursors(client: httpx.AsyncClient, placed: dict) -> None:
    buyer = placed["buyer"]
    for _ in range(2):
        await fill_cart(client, buyer["headers"], [(placed["kg"], 1)])
        assert (await checkout(client, buyer["headers"])).status_code == 201
    first = await client.get("/api/v1/orders", params={"limit": 2}, headers=buyer["headers"])
    assert first.json()["has_more"] is True and len(first.json()["data"]) == 2
    rest = await client.get("/api/v1/orders", params={"limit": 2, "cursor": first.json()["next_cursor"]},
                            headers=buyer["headers"])  # fmt: skip
    assert [o["id"] for o in rest.json()["data"]] == [placed["order"]["id"]] and rest.json()["has_more"] is False
    bad = await client.get("/api/v1/orders", params={"cursor": "nonsense"}, headers=buyer["headers"])
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"


async def test_card_order_waits_then_its_reservation_expires_once(
    client: httpx.AsyncClient, operator: str, categories: None
) -> None:
    shop = await seller_with_products(client, operator, [{}])
    kg, _ = variant_ids(shop["products"][0])
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(kg, 3)])

    response = await checkout(client, buyer["headers"], checkout_body(payment_method="card"))

    assert response.status_code == 201, response.text
    order = response.json()
    assert order["status"] == "pending_payment" and order["payment"]["status"] == "pending"
    assert order["payment"]["next_action"] == "requires_payment" and order["reserved_until"]
    assert (await levels([kg]))[kg].reserved == 3
    assert await service.release_expired() == 0  # not due yet

    await fetch("UPDATE orders SET reserved_until = now() - interval '1 second' WHERE id = $1", order["id"])
    released = await __import__("asyncio").gather(*(service.release_expired() for _ in range(5)))

    assert sum(released) == 1
    assert (await levels([kg]))[kg].reserved == 0
    read = (await client.get(f"/api/v1/orders/{order['id']}", headers=buyer["headers"])).json()
    assert read["status"] == "cancelled" and read["payment"]["status"] == "expired"
    assert read["seller_orders"][0]["history"][-1] == {**read["seller_orders"][0]["history"][-1],
                                                       "actor": "system", "reason": "payment_expired"}  # fmt: skip
    assert await service.confirm_payment(order["id"], order["total"], "test") is False


async def test_preorder_lines_reserve_the_harvest_capacity(
    client: httpx.AsyncClient, operator: str, categories: None
) -> None:
    harvest = date.today() + timedelta(days=20)
    preorder = {"sku": "MC-PRE", "unit": "kg", "unit_size": "1 kg", "price": 80_000, "weight_g": 1000,
                "preorder": {"opens_on": date.today().isoformat(), "harvest_from": harvest.isoformat(),
                             "harvest_to": (harvest + timedelta(days=10)).isoformat(), "capacity": 5}}  # fmt: skip
    shop = await seller_with_products(client, operator, [{"variants": [preorder]}])
    (variant,) = variant_ids(shop["products"][0])
    first, second = await mobile_buyer(client), await mobile_buyer(client)
    await fill_cart(client, first["headers"], [(variant, 4)])
    await fill_cart(client, second["headers"], [(variant, 2)])

    placed = await checkout(client, first["headers"])
    short = await checkout(client, second["headers"])

    assert placed.status_code == 201 and placed.json()["seller_orders"][0]["lines"][0]["preorder"] is True
    assert short.status_code == 409 and short.json()["variants"][0]["available"] == 1
    level = (await levels([variant]))[variant]
    assert (level.preorder_reserved, level.reserved, level.available) == (4, 0, 1)


async def test_cash_collected_is_recorded_once_per_seller_order(client: httpx.AsyncClient, placed: dict) -> None:
    sor = placed["sor"]["id"]
    assert await service.record_cod_collected(sor, placed["sor"]["cod_amount"], "EJ012345678VN") is True
    assert await service.record_cod_collected(sor, 1, "EJ012345678VN") is False  # a repeated report changes nothing
    row = (await fetch("SELECT cod_collected, cod_reference FROM seller_order WHERE id = $1", sor))[0]
    assert (row["cod_collected"], row["cod_reference"]) == (placed["sor"]["cod_amount"], "EJ012345678VN")
