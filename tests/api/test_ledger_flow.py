"""A household seller's sales through the ledger, as the seller and the operators read them: commission by the most
specific rule, tax withheld at payment, catch weight, completion, COD netting, the tax report."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from market.core import clock
from market.core.db import fetch
from market.ledger import accounts
from market.ledger.checks import check
from market.orders.jobs import complete_seller_orders
from market.settings import Settings
from tests.factories import bearer
from tests.fakes.carrier import CarrierSim
from tests.fakes.stripe import FakeStripe
from tests.ledger_flow import balance, category_id, entries, rule, shop
from tests.orders_flow import Drain, pack, pay, place, ship
from tests.shoppers import variant_ids


async def _order(client: httpx.AsyncClient, operator: str, seller: dict[str, Any], method: str) -> Any:
    kg, box = variant_ids(seller["products"][0])
    return await place(client, [seller], [(kg, 2), (box, 1)], operator, payment_method=method)


async def test_a_card_sale_is_pending_net_of_commission_and_tax_then_available_after_the_window(
    client: httpx.AsyncClient, operator: str, categories: None, settings: Settings, carrier_sim: CarrierSim,
    stripe_fake: FakeStripe, worker: Drain,
) -> None:  # fmt: skip
    seller = await shop(client, operator, [{}])
    await rule(client, operator, bps=1000, note="global")
    await rule(client, operator, bps=900, seller_id=seller["seller"]["id"])  # as specific as the category: older wins
    await rule(client, operator, bps=800, category_id=await category_id("mang-cau"))
    await rule(client, operator, fixed=1000, seller_id=seller["seller"]["id"],
               category_id=await category_id("thanh-long"))  # most specific, but another category  # fmt: skip
    placed = await _order(client, operator, seller, "card")
    await pay(client, placed, settings, stripe_fake, worker)
    [frozen] = await fetch("SELECT * FROM seller_order WHERE order_id = $1", placed.id)
    assert (frozen["commission_ppm"], frozen["tax_vat_bps"], frozen["tax_pit_bps"]) == (90_000, 100, 50)
    # 430,000 đ of goods: 9% commission 38,700, VAT 1% 4,300, PIT 0.5% 2,150; shipping to the carrier
    assert await balance(client, seller["key"]) == {"seller_id": seller["seller"]["id"], "pending": 384_850,
                                                    "available": 0, "in_transit": 0, "currency": "VND",
                                                    "object": "balance"}  # fmt: skip
    await pack(client, placed, placed.seller_orders[0], 96)  # 2 kg packed as 1.92 kg: 5,200 đ back to the card
    await ship(client, placed.seller_orders[0]["id"], settings, carrier_sim, worker)
    assert (await balance(client, seller["key"]))["pending"] == 424_800 - 38_232 - 4_248 - 2_124
    with clock.travel(timedelta(days=settings.return_window_days + 1)):
        assert await complete_seller_orders({}) == 1
    await worker()
    money = await balance(client, seller["key"])
    assert (money["pending"], money["available"]) == (0, 380_196)

    kinds = [entry["kind"] for entry in await entries(client, seller["key"])]
    assert kinds == ["release", "catch_weight", "payment"]
    [paid] = await entries(client, seller["key"], kind="payment")
    lines = {line["account"]: line["amount"] for line in paid["lines"]}
    assert lines[accounts.CARD_CLEARING] == 430_000 + frozen["shipping_fee"]
    assert lines[accounts.COMMISSION_REVENUE] == -38_700 and lines[accounts.TAX_VAT] == -4_300
    assert paid["pending"] == 384_850 and paid["seller_order_id"] == frozen["id"]
    first = await client.get("/seller/v1/ledger/entries", params={"limit": 1}, headers=bearer(seller["key"]))
    assert first.json()["has_more"]
    rest = await client.get("/seller/v1/ledger/entries", headers=bearer(seller["key"]),
                            params={"limit": 5, "cursor": first.json()["next_cursor"]})  # fmt: skip
    assert [entry["kind"] for entry in rest.json()["data"]] == ["catch_weight", "payment"]
    today = clock.today().isoformat()
    assert len(await entries(client, seller["key"], since=today, until=today, seller_order_id=frozen["id"])) == 3
    assert await entries(client, seller["key"], until="2025-01-01") == []
    assert await check() == []

    month = clock.today().strftime("%Y-%m")
    report = await client.get(f"/admin/v1/tax-reports/{month}", headers=bearer(operator))
    assert report.status_code == 200 and report.headers["content-type"].startswith("text/csv")
    header, row = report.text.strip().split("\r\n")
    assert header.startswith("ky_ke_khai,seller_id,ten_nguoi_ban,loai,ma_so_thue,so_dinh_danh,khau_tru,doanh_thu")
    fields = row.split(",")
    assert fields[1] == seller["seller"]["id"] and fields[5] == "079203001234" and fields[6] == "co"
    assert fields[7:13] == ["430000", "4300", "2150", "5200", "52", "26"]


async def test_cod_money_becomes_available_only_when_completed_and_remitted(
    client: httpx.AsyncClient, operator: str, categories: None, settings: Settings, carrier_sim: CarrierSim,
    worker: Drain,
) -> None:  # fmt: skip
    seller = await shop(client, operator, [{}], kind="cooperative")
    await rule(client, operator, fixed=2_000)
    placed = await _order(client, operator, seller, "cod")
    assert await balance(client, seller["key"]) == {**await balance(client, seller["key"]), "pending": 0}
    await pack(client, placed, placed.seller_orders[0], 104)  # heavier: the buyer pays 135,200 for the 2 kg
    await ship(client, placed.seller_orders[0]["id"], settings, carrier_sim, worker)
    net = 435_200 - 2 * 2_000  # two lines at 2,000 đ each, no tax for a cooperative
    assert (await balance(client, seller["key"]))["pending"] == net
    with clock.travel(timedelta(days=settings.return_window_days + 1)):
        assert await complete_seller_orders({}) == 1
    await worker()
    assert (await balance(client, seller["key"]))["available"] == 0  # the carrier has not paid the cash over
    [row] = await fetch("SELECT tracking_code, cod_amount FROM parcel WHERE seller_order_id = $1",
                        placed.seller_orders[0]["id"])  # fmt: skip
    csv = f"tracking_code,amount,fee\n{row['tracking_code']},{row['cod_amount']},15000\n"
    imported = await client.post("/admin/v1/cod-remittances", params={"batch": "COD-L1"}, content=csv.encode(),
                                 headers={**bearer(operator), "Content-Type": "text/csv"})  # fmt: skip
    assert imported.status_code in (200, 201), imported.text
    await worker()
    money = await balance(client, seller["key"])
    assert (money["pending"], money["available"]) == (0, net)
    accounts_page = await client.get("/admin/v1/ledger/accounts", headers=bearer(operator))
    platform = {account["id"]: account["balance"] for account in accounts_page.json()["data"]}
    assert platform[accounts.COD_RECEIVABLE] == 0 and platform[accounts.BANK_CLEARING] == row["cod_amount"] - 15_000
    assert platform[accounts.COMMISSION_REVENUE] == 4_000
    listed = await client.get("/admin/v1/ledger/balances", headers=bearer(operator))
    assert {"seller_id": seller["seller"]["id"], "pending": 0, "available": net, "in_transit": 0,
            "currency": "VND", "object": "balance"} in listed.json()["data"]  # fmt: skip
    assert await check() == []


async def test_commission_rules_are_validated_audited_and_frozen_at_checkout(
    client: httpx.AsyncClient, operator: str, categories: None, worker: Drain
) -> None:
    headers = bearer(operator)
    both = await client.post("/admin/v1/commission-rules", json={"bps": 100, "fixed": 5}, headers=headers)
    assert both.status_code == 422 and both.json()["errors"][0]["code"] == "bps_or_fixed"
    unknown = await client.post("/admin/v1/commission-rules", json={"bps": 100, "seller_id": "sel_x"}, headers=headers)
    assert unknown.json()["errors"][0] == {**unknown.json()["errors"][0], "field": "seller_id",
                                           "code": "unknown_seller"}  # fmt: skip
    seller = await shop(client, operator, [{}])
    created = await rule(client, operator, bps=700)
    placed = await _order(client, operator, seller, "cod")
    changed = await client.patch(f"/admin/v1/commission-rules/{created['id']}", json={"bps": 1500}, headers=headers)
    assert changed.status_code == 200 and changed.json()["bps"] == 1500
    archived = await client.delete(f"/admin/v1/commission-rules/{created['id']}", headers=headers)
    assert archived.json()["active"] is False
    [frozen] = await fetch("SELECT commission_ppm FROM seller_order WHERE order_id = $1", placed.id)
    assert frozen["commission_ppm"] == 70_000  # the rate of checkout, whatever happened to the rule since
    audit = await fetch("SELECT action FROM audit_event WHERE subject_id = $1 ORDER BY at", created["id"])
    assert [row["action"] for row in audit] == ["commission_rule.created", "commission_rule.updated",
                                                "commission_rule.updated"]  # fmt: skip
    listed = await client.get("/admin/v1/commission-rules", params={"active": "false"}, headers=headers)
    assert [found["id"] for found in listed.json()["data"]] == [created["id"]]
    assert (await client.get("/admin/v1/commission-rules/cmr_nope", headers=headers)).status_code == 404


async def test_a_seller_reads_only_its_own_money_and_bad_filters_are_422(
    client: httpx.AsyncClient, operator: str, categories: None
) -> None:
    seller = await shop(client, operator, [])
    answer = await client.get("/seller/v1/ledger/entries", params={"since": "2026-12-02", "until": "2026-12-01"},
                              headers=bearer(seller["key"]))  # fmt: skip
    assert answer.status_code == 422 and answer.json()["errors"][0]["field"] == "until"
    bad = await client.get("/seller/v1/ledger/entries", params={"cursor": "nope"}, headers=bearer(seller["key"]))
    assert bad.status_code == 400
    month = await client.get("/admin/v1/tax-reports/2026-13", headers=bearer(operator))
    assert month.status_code in (400, 422)
    personal = await client.patch("/seller/v1/seller", json={"personal_id": "12345"},
                                  headers=bearer(seller["session"]))  # fmt: skip
    assert personal.status_code == 422 and personal.json()["errors"][0]["code"] == "invalid_personal_id"
