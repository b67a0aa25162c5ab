"""Bank transfers: the VietQR answer at checkout, and the bank feed's credits matched by reference and amount."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest

from market.core import clock
from market.core.db import fetch
from market.core.vietqr import decode
from market.inventory.service import levels
from market.orders.service import release_expired
from market.settings import Settings
from tests.banking import bank_order, events, outcomes, post_credit, sepay
from tests.buyers import seller_with_products
from tests.factories import bearer


@pytest.fixture
async def shop(client: httpx.AsyncClient, operator: str, categories: None) -> dict[str, Any]:
    return await seller_with_products(client, operator, [{}])


async def read(client: httpx.AsyncClient, placed: dict[str, Any]) -> dict[str, Any]:
    response = await client.get(f"/api/v1/orders/{placed['order']['id']}", headers=placed["buyer"]["headers"])
    assert response.status_code == 200, response.text
    return dict(response.json())


async def expire(order_id: str) -> None:
    await fetch("UPDATE orders SET reserved_until = now() - interval '1 second' WHERE id = $1", order_id)
    assert await release_expired() >= 1


async def test_checkout_answers_a_vietqr_payload_plain_fields_and_images(
    client: httpx.AsyncClient, shop: dict[str, Any], settings: Settings
) -> None:
    placed = await bank_order(client, shop, quantity=2)
    order, transfer = placed["order"], placed["transfer"]

    assert order["status"] == "pending_payment" and order["payment"]["next_action"] == "requires_transfer"
    assert order["payment"]["status"] == "pending" and order["payment"]["amount_due"] == order["total"]
    decoded = decode(transfer["payload"])
    assert (decoded.bin, decoded.account, decoded.amount) == ("970436", "0071000888888", order["total"])
    assert decoded.purpose == transfer["reference"] and decoded.dynamic
    assert transfer["payload"][:4] == "0002" and "0208QRIBFTTA" in transfer["payload"]
    assert (transfer["bank_name"], transfer["account_holder"]) == ("Vietcombank", "CONG TY MARKET")
    assert transfer["expires_at"] == order["reserved_until"]
    assert (await levels([placed["variant"]]))[placed["variant"]].reserved == 2
    png = await client.get(transfer["qr_png_url"])
    svg = await client.get(transfer["qr_svg_url"])
    assert png.status_code == 200 and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert svg.status_code == 200 and b"<svg" in svg.content and svg.headers["content-type"].startswith("image/svg")
    forged = await client.get(transfer["qr_png_url"].replace("/qr.png", "x/qr.png"))
    assert forged.status_code == 404
    assert (await read(client, placed))["payment"]["bank_transfer"] == transfer  # the reads show it again


async def test_the_images_expire_with_the_order(client: httpx.AsyncClient, shop: dict[str, Any]) -> None:
    placed = await bank_order(client, shop)
    url = placed["transfer"]["qr_png_url"]
    left = (datetime.fromisoformat(placed["transfer"]["expires_at"]) - clock.now()).total_seconds()

    assert (await client.get(url)).headers["cache-control"] == "private, max-age=600"
    with clock.travel(timedelta(seconds=left - 100)):  # a client keeps the image no longer than the order waits
        late = await client.get(url)
        assert late.status_code == 200
        assert 95 <= int(late.headers["cache-control"].removeprefix("private, max-age=")) <= 100
        assert (await client.get(url.replace("/qr.png", "/qr.svg"))).headers["cache-control"] == late.headers[
            "cache-control"
        ]
    with clock.travel(timedelta(seconds=left + 1)):
        gone = await client.get(url)
        assert gone.status_code == 404 and gone.json()["code"] == "not_found"

    await expire(placed["order"]["id"])
    after = await read(client, placed)
    assert after["payment"]["status"] == "expired" and after["payment"]["bank_transfer"] is None


async def test_an_exact_transfer_pays_the_order_once(
    client: httpx.AsyncClient, shop: dict[str, Any], settings: Settings
) -> None:
    placed = await bank_order(client, shop)
    order, reference = placed["order"], placed["transfer"]["reference"]
    body = sepay(order["total"], f"{reference} thanh toan don hang")

    first = await post_credit(client, settings, body)
    again = await post_credit(client, settings, body, auth="hmac")

    assert first.status_code == 200 and first.json() == {"success": True}
    assert again.status_code == 200 and again.json() == {"success": True}
    after = await read(client, placed)
    assert after["status"] == "open" and after["payment"]["status"] == "paid"
    assert after["payment"]["paid_amount"] == order["total"] and after["payment"]["bank_transfer"] is None
    assert [so["status"] for so in after["seller_orders"]] == ["confirmed"]
    assert await outcomes() == ["matched"]
    assert [e["order_id"] for e in await events("order.paid")] == [order["id"]]
    (received,) = await events("bank_credit.received")
    assert received["outcome"] == "matched" and received["amount"] == order["total"]


@pytest.mark.parametrize("auth", ["none", "forged", "wrong_hmac"])
async def test_a_forged_or_unsigned_webhook_is_401_and_nothing_is_stored(
    client: httpx.AsyncClient, shop: dict[str, Any], settings: Settings, auth: str
) -> None:
    placed = await bank_order(client, shop)
    body = sepay(placed["order"]["total"], placed["transfer"]["reference"])
    headers = {"none": {}, "forged": {"Authorization": "Apikey someone-else"},
               "wrong_hmac": {"X-Signature": "sha256=" + "0" * 64}}[auth]  # fmt: skip

    response = await client.post("/webhooks/banks/sepay", json=body, headers=headers)

    assert response.status_code == 401 and response.json()["code"] == "invalid_signature"
    assert await fetch("SELECT id FROM bank_credit") == []
    assert (await read(client, placed))["payment"]["status"] == "pending"


async def test_a_malformed_body_names_its_field(client: httpx.AsyncClient, settings: Settings) -> None:
    response = await post_credit(client, settings, {**sepay(1000, "x"), "transferAmount": "lots"})

    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "transferAmount"
    unknown = await client.post("/webhooks/banks/someone", json={})
    assert unknown.status_code == 404


@pytest.mark.parametrize("mangle", [
    lambda r: f"CT DEN:0123456 {r[:4]} {r[4:9]} {r[9:]} NGUYEN VAN A chuyen tien",
    lambda r: f"{r.lower()}-chuyen khoan",
    lambda r: f"MBVCB.3278907687.{r}.CT tu 0123 toi 0071",
    lambda r: f"IBFT {r.replace('0', 'O')}",
])  # fmt: skip
async def test_the_reference_is_found_in_mangled_text(
    client: httpx.AsyncClient, shop: dict[str, Any], settings: Settings, mangle: Any
) -> None:
    placed = await bank_order(client, shop)
    reference = placed["transfer"]["reference"]

    await post_credit(client, settings, sepay(placed["order"]["total"], mangle(reference)))

    assert await outcomes() == ["matched"]
    assert (await read(client, placed))["payment"]["status"] == "paid"


async def test_a_short_transfer_waits_and_a_second_completes_it(
    client: httpx.AsyncClient, shop: dict[str, Any], settings: Settings
) -> None:
    placed = await bank_order(client, shop)
    total, reference = placed["order"]["total"], placed["transfer"]["reference"]

    await post_credit(client, settings, sepay(total - 50_000, reference))
    short = await read(client, placed)
    await post_credit(client, settings, sepay(50_000, f"bo sung {reference}"))
    paid = await read(client, placed)

    assert short["status"] == "pending_payment" and short["payment"]["status"] == "partially_paid"
    assert short["payment"]["paid_amount"] == total - 50_000 and short["payment"]["amount_due"] == 50_000
    missing = short["payment"]["bank_transfer"]
    assert missing["amount"] == 50_000 and decode(missing["payload"]).amount == 50_000
    assert missing["reference"] == reference
    assert paid["payment"]["status"] == "paid" and paid["status"] == "open"
    assert await outcomes() == ["short", "matched"]


async def test_an_overpayment_pays_and_flags_the_excess(
    client: httpx.AsyncClient, shop: dict[str, Any], settings: Settings
) -> None:
    placed = await bank_order(client, shop)
    total = placed["order"]["total"]

    await post_credit(client, settings, sepay(total + 12_345, placed["transfer"]["reference"]))

    assert (await read(client, placed))["payment"]["status"] == "paid"
    assert await outcomes() == ["over"]
    (flagged,) = await events("bank_credit.refund_flagged")
    assert flagged["amount"] == 12_345 and flagged["order_id"] == placed["order"]["id"]


async def test_a_transfer_for_a_cancelled_order_is_flagged_for_refund(
    client: httpx.AsyncClient, shop: dict[str, Any], settings: Settings
) -> None:
    placed = await bank_order(client, shop)
    (seller_order,) = placed["order"]["seller_orders"]
    cancelled = await client.post(f"/api/v1/orders/{placed['order']['id']}/seller-orders/{seller_order['id']}/cancel",
                                  json={"reason": "changed my mind"}, headers=placed["buyer"]["headers"])  # fmt: skip
    assert cancelled.status_code in (200, 204), cancelled.text

    await post_credit(client, settings, sepay(placed["order"]["total"], placed["transfer"]["reference"]))

    assert await outcomes() == ["refund_flagged"]
    (flagged,) = await events("bank_credit.refund_flagged")
    assert flagged["amount"] == placed["order"]["total"] and "cancelled" in flagged["reason"]
    assert (await levels([placed["variant"]]))[placed["variant"]].reserved == 0


async def test_after_expiry_the_stock_is_reserved_again_when_it_is_there(
    client: httpx.AsyncClient, shop: dict[str, Any], settings: Settings
) -> None:
    placed = await bank_order(client, shop, quantity=3)
    await expire(placed["order"]["id"])
    assert (await levels([placed["variant"]]))[placed["variant"]].reserved == 0

    await post_credit(client, settings, sepay(placed["order"]["total"], placed["transfer"]["reference"]))

    after = await read(client, placed)
    assert await outcomes() == ["late_reserved"]
    assert after["payment"]["status"] == "paid" and [so["status"] for so in after["seller_orders"]] == ["confirmed"]
    assert (await levels([placed["variant"]]))[placed["variant"]].reserved == 3
    assert [e["order_id"] for e in await events("order.paid")] == [placed["order"]["id"]]


async def test_after_expiry_without_stock_the_money_is_flagged(
    client: httpx.AsyncClient, shop: dict[str, Any], settings: Settings
) -> None:
    placed = await bank_order(client, shop, quantity=2)
    await expire(placed["order"]["id"])
    await fetch("UPDATE stock_level SET on_hand = 1 WHERE variant_id = $1", placed["variant"])

    await post_credit(client, settings, sepay(placed["order"]["total"], placed["transfer"]["reference"]))

    assert await outcomes() == ["refund_flagged"]
    (flagged,) = await events("bank_credit.refund_flagged")
    assert flagged["amount"] == placed["order"]["total"] and "stock gone" in flagged["reason"]
    assert (await read(client, placed))["payment"]["status"] == "expired"


async def test_unmatched_credits_wait_for_an_operator(
    client: httpx.AsyncClient, shop: dict[str, Any], settings: Settings, operator: str
) -> None:
    placed = await bank_order(client, shop)
    total = placed["order"]["total"]
    await post_credit(client, settings, sepay(total, "chuyen tien cho shop rau"))  # no reference at all
    await post_credit(client, settings, sepay(99_000, "MK0000000000Z tra no"))  # nobody's reference
    queue = await client.get("/admin/v1/bank-credits", params={"queue": "open"}, headers=bearer(operator))
    assert queue.status_code == 200, queue.text
    stranger, first = queue.json()["data"]  # newest first
    assert (first["outcome"], first["order_id"], first["amount"]) == ("unmatched", None, total)

    assigned = await client.post(f"/admin/v1/bank-credits/{first['id']}/assign",
                                 json={"order_id": placed["order"]["id"], "reason": "buyer sent the receipt"},
                                 headers=bearer(operator))  # fmt: skip
    refunded = await client.post(f"/admin/v1/bank-credits/{stranger['id']}/refund",
                                 json={"reason": "not ours"}, headers=bearer(operator))  # fmt: skip
    twice = await client.post(f"/admin/v1/bank-credits/{stranger['id']}/refund",
                              json={"reason": "not ours"}, headers=bearer(operator))  # fmt: skip

    assert assigned.status_code == 200, assigned.text
    assert (assigned.json()["queue"], assigned.json()["outcome"]) == ("assigned", "matched")
    assert (await read(client, placed))["payment"]["status"] == "paid"
    assert refunded.status_code == 200 and refunded.json()["refund_amount"] == 99_000
    assert twice.status_code == 409 and twice.json()["code"] == "bank_credit_not_open"
    assert [e["credit_id"] for e in await events("bank_credit.assigned")] == [first["id"]]
    assert [e["amount"] for e in await events("bank_credit.refund_flagged")] == [99_000]
    audited = await fetch("SELECT action FROM audit_event ORDER BY id")
    assert [row["action"] for row in audited][-2:] == ["bank_credit.assigned", "bank_credit.refund_flagged"]
    assert [e["outcome"] for e in await events("bank_credit.received")] == ["unmatched", "unmatched"]
    assert (await client.get("/admin/v1/bank-credits", params={"queue": "open"},
                             headers=bearer(operator))).json()["data"] == []  # fmt: skip


async def test_outgoing_transactions_are_stored_not_matched(
    client: httpx.AsyncClient, shop: dict[str, Any], settings: Settings
) -> None:
    placed = await bank_order(client, shop)

    await post_credit(client, settings, sepay(placed["order"]["total"], placed["transfer"]["reference"],
                                              direction="out"))  # fmt: skip

    assert await outcomes() == ["outgoing"]
    assert (await read(client, placed))["payment"]["status"] == "pending"
    assert await events("bank_credit.received") == []
