"""`POST /api/v1/shipping/quotes` and the cart's shipping estimate: what checkout will charge, per seller, before the
order (fee, service, transit days, and the perishability rule that refused the slow service)."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from litestar import Litestar

from market.core.resources import Resources
from market.shipping.registry import quoter_for
from tests.buyers import PASSWORD, csrf, mobile_buyer, seller_with_products, web_buyer, web_client
from tests.factories import TAY_NINH, TRANG_BANG, active_product, api_key, registered_seller, seller_body
from tests.fakes.carrier import CarrierSim
from tests.shoppers import (
    HANOI,
    HCMC,
    HOAN_KIEM,
    VUNG_TAU,
    address,
    checkout,
    checkout_body,
    fill_cart,
    guest,
    variant_ids,
)

QUOTES = "/api/v1/shipping/quotes"
DESTINATION = "/api/v1/carts/current/destination"
TO_HANOI = {"province_code": HANOI, "ward_code": HOAN_KIEM}


async def seller_in(client: httpx.AsyncClient, operator: str, province: int, ward: int) -> dict[str, Any]:
    """A seller whose parcels leave from this place, with one product: {"seller", "products"}."""
    place = {"province_code": province, "ward_code": ward}
    pickup = {**seller_body()["pickup_address"], **place}
    created = await registered_seller(client, approve_with=operator, **place, pickup_address=pickup)
    key = await api_key(client, created["session"])
    return {"seller": created["seller"], "products": [await active_product(client, key, operator)]}


@pytest.fixture
async def two_sellers(client: httpx.AsyncClient, operator: str, categories: None, carrier_sim: CarrierSim) -> dict:
    """Tây Ninh sells a fruit that keeps 3 days (1,050 g), Hà Nội one that keeps 5: {"tay_ninh", "hanoi", "items"}."""
    tay_ninh = await seller_with_products(client, operator, [{"shelf_life_days": 3}])
    hanoi = await seller_in(client, operator, HANOI, HOAN_KIEM)
    items = [(variant_ids(tay_ninh["products"][0])[0], 1), (variant_ids(hanoi["products"][0])[0], 1)]
    spare = variant_ids(tay_ninh["products"][0])[1]
    return {"tay_ninh": tay_ninh["seller"], "hanoi": hanoi["seller"], "items": items, "spare": spare}


def by_seller(quote: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {entry["seller"]["id"]: entry["shipping"] for entry in quote["sellers"]}


def expect_two_sellers(shipping: dict[str, dict[str, Any]], shop: dict[str, Any]) -> None:
    far, near = shipping[shop["tay_ninh"]["id"]], shipping[shop["hanoi"]["id"]]
    # Tây Ninh -> Hà Nội, across regions, 1,050 g: the standard parcel (38,000 đ, 5 days) outlasts the 3-day shelf
    # life, so express it is (57,000 đ, 3 days).
    assert (far["available"], far["service"], far["shipping_fee"], far["transit_days"]) == (True, "EMS", 57_000, 3)
    assert (far["zone"], far["weight_g"], far["origin_province"]["code"]) == ("national", 1050, 80)
    assert far["perishability"] == {"shelf_life_days": 3, "refused_services": [
        {"service": "BUU_KIEN", "shipping_fee": 38_000, "transit_days": 5, "currency": "VND",
         "object": "shipping_service"}]}  # fmt: skip
    # Within Hà Nội: the standard parcel, 18,000 đ + 3,000 đ for the started 500 g, in 2 days; nothing refused.
    assert (near["service"], near["shipping_fee"], near["transit_days"], near["zone"]) == ("BUU_KIEN", 21_000, 2,
                                                                                           "province")  # fmt: skip
    assert near["perishability"] == {"shelf_life_days": 5, "refused_services": []}


async def test_a_guest_quotes_a_cart_from_two_sellers_and_checkout_charges_exactly_that(
    client: httpx.AsyncClient, two_sellers: dict[str, Any]
) -> None:
    headers = await guest(client)
    await fill_cart(client, headers, two_sellers["items"])

    response = await client.post(QUOTES, json={"destination": TO_HANOI}, headers=headers)

    assert response.status_code == 200, response.text
    quote = response.json()
    assert (quote["object"], quote["payment_method"], quote["deliverable"]) == ("shipping_quote", "cod", True)
    assert quote["destination"]["province"] == {"code": 1, "name": "Thành phố Hà Nội"}
    assert quote["destination"]["ward"]["code"] == HOAN_KIEM
    assert [entry["seller"]["id"] for entry in quote["sellers"]] == [two_sellers["tay_ninh"]["id"],
                                                                     two_sellers["hanoi"]["id"]]  # fmt: skip
    expect_two_sellers(by_seller(quote), two_sellers)
    assert quote["shipping_fee"] == 78_000

    placed = await checkout(client, headers)

    assert placed.status_code == 201, placed.text
    order = placed.json()
    assert order["shipping_fee"] == quote["shipping_fee"]
    quoted = by_seller(quote)
    for seller_order in order["seller_orders"]:
        expected = quoted[seller_order["seller_id"]]
        assert (seller_order["shipping_service"], seller_order["shipping_fee"], seller_order["transit_days"],
                seller_order["shipping_zone"], seller_order["weight_g"]) == (
            expected["service"], expected["shipping_fee"], expected["transit_days"], expected["zone"],
            expected["weight_g"])  # fmt: skip


async def test_explicit_items_are_quoted_without_any_credentials(
    client: httpx.AsyncClient, two_sellers: dict[str, Any]
) -> None:
    items = [{"variant_id": variant, "quantity": quantity} for variant, quantity in two_sellers["items"]]

    response = await client.post(QUOTES, json={"items": items, "destination": {"province_code": HANOI}})

    assert response.status_code == 200, response.text
    assert response.json()["destination"]["ward"] is None
    expect_two_sellers(by_seller(response.json()), two_sellers)


async def test_a_card_quote_is_what_a_card_checkout_charges(
    client: httpx.AsyncClient, two_sellers: dict[str, Any]
) -> None:
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], two_sellers["items"])

    quote = await client.post(QUOTES, json={"destination": TO_HANOI, "payment_method": "card"},
                              headers=buyer["headers"])  # fmt: skip
    placed = await checkout(client, buyer["headers"], checkout_body(payment_method="card"))

    assert quote.status_code == 200, quote.text
    assert quote.json()["payment_method"] == "card"
    assert placed.status_code == 201, placed.text
    assert placed.json()["shipping_fee"] == quote.json()["shipping_fee"] == 78_000


async def test_a_parcel_no_service_can_carry_in_time_is_shown_and_checkout_refuses_it(
    client: httpx.AsyncClient, operator: str, categories: None, carrier_sim: CarrierSim
) -> None:
    shop = await seller_with_products(client, operator, [{"shelf_life_days": 2}])
    headers = await guest(client)
    await fill_cart(client, headers, [(variant_ids(shop["products"][0])[0], 1)])

    response = await client.post(QUOTES, json={"destination": TO_HANOI}, headers=headers)
    placed = await checkout(client, headers)

    assert response.status_code == 200, response.text
    quote = response.json()
    assert (quote["deliverable"], quote["shipping_fee"]) == (False, None)
    (entry,) = quote["sellers"]
    shipping = entry["shipping"]
    assert (shipping["available"], shipping["service"], shipping["shipping_fee"]) == (False, None, None)
    assert shipping["unavailable_code"] == "no_shipping_service"
    assert [(s["service"], s["transit_days"]) for s in shipping["perishability"]["refused_services"]] == [
        ("EMS", 3), ("BUU_KIEN", 5)]  # fmt: skip
    assert placed.status_code == 409 and placed.json()["code"] == "no_shipping_service"


async def test_an_unknown_place_or_variant_is_a_422_naming_the_field(
    client: httpx.AsyncClient, two_sellers: dict[str, Any]
) -> None:
    item = {"variant_id": two_sellers["items"][0][0]}
    cases = [
        ({"items": [item], "destination": {"province_code": 2}}, "destination.province_code", "unknown_province"),
        ({"items": [item], "destination": {"province_code": HANOI, "ward_code": 25708}}, "destination.ward_code",
         "unknown_ward"),  # Trảng Bàng is in Tây Ninh
        ({"items": [{"variant_id": "var_nope"}], "destination": TO_HANOI}, "items[0].variant_id", "unknown_variant"),
        ({"items": [item]}, "destination", "required"),
        ({"items": [item], "destination": TO_HANOI, "shipping_address_id": "adr_x"}, "shipping_address_id",
         "one_address"),
        ({"items": [item], "shipping_address_id": "adr_x"}, "shipping_address_id", "sign_in_required"),
        ({"items": [], "destination": TO_HANOI}, "items", "out_of_range"),
    ]  # fmt: skip
    for body, field, code in cases:
        response = await client.post(QUOTES, json=body)

        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [(field, code)], body


async def test_a_cart_quote_needs_the_cart(client: httpx.AsyncClient, two_sellers: dict[str, Any]) -> None:
    nobody = await client.post(QUOTES, json={"destination": TO_HANOI})
    headers = await guest(client)
    nowhere = await client.post(QUOTES, json={}, headers=headers)

    assert nobody.status_code == 401 and nobody.json()["code"] == "not_authenticated"
    assert nowhere.status_code == 422 and nowhere.json()["errors"][0]["field"] == "destination"


async def test_a_card_quote_is_refused_when_checkout_would_refuse_cards(
    client: httpx.AsyncClient, two_sellers: dict[str, Any]
) -> None:
    response = await client.post(QUOTES, json={"destination": TO_HANOI, "payment_method": "momo"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "payment_method"


async def test_a_signed_in_buyer_quotes_to_an_address_of_the_book_and_no_one_elses(
    client: httpx.AsyncClient, two_sellers: dict[str, Any]
) -> None:
    buyer, other = await mobile_buyer(client), await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], two_sellers["items"])
    mine = (await client.post("/api/v1/me/addresses", json=address(), headers=buyer["headers"])).json()["id"]
    theirs = (await client.post("/api/v1/me/addresses", json=address(), headers=other["headers"])).json()["id"]

    quoted = await client.post(QUOTES, json={"shipping_address_id": mine}, headers=buyer["headers"])
    refused = await client.post(QUOTES, json={"shipping_address_id": theirs}, headers=buyer["headers"])

    assert quoted.status_code == 200, quoted.text
    expect_two_sellers(by_seller(quoted.json()), two_sellers)
    assert refused.status_code == 404 and refused.json()["code"] == "not_found"


async def test_the_cart_answers_shipping_per_seller_once_it_has_a_destination(
    client: httpx.AsyncClient, two_sellers: dict[str, Any]
) -> None:
    headers = await guest(client)
    await fill_cart(client, headers, two_sellers["items"])
    before = (await client.get("/api/v1/carts/current", headers=headers)).json()

    stored = await client.put(DESTINATION, json=TO_HANOI, headers=headers)
    read = await client.get("/api/v1/carts/current", headers=headers)
    quote = (await client.post(QUOTES, json={}, headers=headers)).json()  # to the cart's destination

    assert (before["destination"], before["shipping_fee"], before["total"]) == (None, None, None)
    assert all(group["shipping"] is None for group in before["groups"])
    assert stored.status_code == 200, stored.text
    assert stored.json() == {**read.json(), "expires_at": stored.json()["expires_at"]}
    cart = read.json()
    assert cart["destination"]["province"]["code"] == HANOI and cart["destination"]["ward"]["code"] == HOAN_KIEM
    shipping = {group["seller"]["id"]: group["shipping"] for group in cart["groups"]}
    expect_two_sellers(shipping, two_sellers)
    assert shipping == by_seller(quote)
    assert cart["shipping_fee"] == quote["shipping_fee"] == 78_000
    assert cart["total"] == cart["subtotal"] + 78_000

    placed = await checkout(client, headers)
    assert placed.status_code == 201, placed.text
    assert placed.json()["shipping_fee"] == cart["shipping_fee"]


async def test_a_destination_outside_the_catalog_is_refused_and_nothing_is_stored(
    client: httpx.AsyncClient, two_sellers: dict[str, Any]
) -> None:
    headers = await guest(client)
    await fill_cart(client, headers, two_sellers["items"])

    wrong_ward = await client.put(DESTINATION, json={"province_code": HANOI, "ward_code": 25708}, headers=headers)
    wrong_province = await client.put(DESTINATION, json={"province_code": 99}, headers=headers)
    cart = (await client.get("/api/v1/carts/current", headers=headers)).json()

    assert wrong_ward.status_code == 422 and wrong_ward.json()["errors"][0]["code"] == "unknown_ward"
    assert wrong_province.status_code == 422 and wrong_province.json()["errors"][0]["code"] == "unknown_province"
    assert cart["destination"] is None and cart["shipping_fee"] is None


async def test_the_destination_can_be_forgotten_and_follows_the_guest_into_the_customer_cart(
    client: httpx.AsyncClient, two_sellers: dict[str, Any]
) -> None:
    buyer = await mobile_buyer(client)
    headers = await guest(client)
    await fill_cart(client, headers, two_sellers["items"][:1])
    await client.put(DESTINATION, json=TO_HANOI, headers=headers)

    signed_in = await client.post(
        "/api/v1/sessions", json={"identifier": buyer["identifier"], "password": PASSWORD, "client": "mobile"},
        headers=headers,
    )  # fmt: skip
    assert signed_in.status_code == 201, signed_in.text
    session = {"Authorization": f"Bearer {signed_in.json()['token']}"}
    merged = (await client.get("/api/v1/carts/current", headers=session)).json()
    forgotten = await client.delete(DESTINATION, headers=session)
    after = (await client.get("/api/v1/carts/current", headers=session)).json()

    assert merged["kind"] == "customer" and merged["destination"]["province"]["code"] == HANOI
    assert merged["groups"][0]["shipping"]["shipping_fee"] == 57_000
    assert forgotten.status_code == 204
    assert after["destination"] is None and after["groups"][0]["shipping"] is None
    assert after["line_count"] == 1


async def test_a_slow_carrier_costs_one_quote_timeout_however_many_sellers(
    client: httpx.AsyncClient, operator: str, categories: None, carrier_sim: CarrierSim, resources: Resources
) -> None:
    items = []
    for province, ward in ((TAY_NINH, TRANG_BANG), (HANOI, HOAN_KIEM), (HCMC, VUNG_TAU)):
        shop = await seller_in(client, operator, province, ward)
        items.append({"variant_id": variant_ids(shop["products"][0])[0]})
    carrier_sim.faults(mode="slow", delay_s=3)

    started = time.monotonic()
    response = await client.post(QUOTES, json={"items": items, "destination": {"province_code": 48}})  # Đà Nẵng
    took = time.monotonic() - started

    quoter = quoter_for(resources.settings, resources.redis)
    quoter.failures, quoter.open_until = 0, 0.0
    assert response.status_code == 200, response.text
    assert [entry["shipping"]["available"] for entry in response.json()["sellers"]] == [True, True, True]
    timeout = resources.settings.carrier_quote_timeout_s
    assert took < 2 * timeout  # the three were asked at once, then answered from the table


async def test_a_destination_is_not_a_line_a_full_cart_still_holds_100(
    client: httpx.AsyncClient, two_sellers: dict[str, Any], resources: Resources
) -> None:
    headers = await guest(client)
    await fill_cart(client, headers, two_sellers["items"][:1])
    await client.put(DESTINATION, json=TO_HANOI, headers=headers)
    cart_id = (await client.get("/api/v1/carts/current", headers=headers)).json()["id"]
    filler = {f"{kind}:var_fill{n:03d}": 1 for n in range(98) for kind in "qpt"}
    await resources.redis.hset(f"{resources.settings.redis_key_prefix}cart:{cart_id}", mapping=filler)  # type: ignore[misc]

    hundredth = await client.post("/api/v1/carts/current/lines", json={"variant_id": two_sellers["items"][1][0]},
                                  headers=headers)  # fmt: skip
    beyond = await client.post("/api/v1/carts/current/lines", json={"variant_id": two_sellers["spare"]},
                               headers=headers)  # fmt: skip

    assert hundredth.status_code in (200, 201), hundredth.text
    assert beyond.status_code == 409 and beyond.json()["code"] == "cart_full"
    cart = (await client.get("/api/v1/carts/current", headers=headers)).json()
    assert cart["destination"]["province"]["code"] == HANOI


async def test_a_web_buyer_sets_the_destination_and_quotes_with_the_csrf_header(
    app: Litestar, two_sellers: dict[str, Any]
) -> None:
    async with web_client(app) as web:
        await web_buyer(web)
        await fill_cart(web, csrf(web), two_sellers["items"])
        forged = await web.put(DESTINATION, json=TO_HANOI)
        stored = await web.put(DESTINATION, json=TO_HANOI, headers=csrf(web))
        quote = await web.post(QUOTES, json={}, headers=csrf(web))

    assert forged.status_code == 403 and forged.json()["code"] == "csrf_failed"
    assert stored.status_code == 200 and stored.json()["kind"] == "customer"
    assert quote.status_code == 200 and quote.json()["shipping_fee"] == stored.json()["shipping_fee"] == 78_000
