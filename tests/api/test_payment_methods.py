"""`GET /api/v1/payment-methods`: what checkout accepts now, so that a storefront asks before offering a card."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx

from market.app import create_app
from market.settings import Settings
from tests.buyers import mobile_buyer, seller_with_products
from tests.http import app_client
from tests.shoppers import checkout, checkout_body, fill_cart, guest, variant_ids


def without_stripe(settings: Settings) -> Settings:
    return replace(
        settings, stripe_secret_key=None, stripe_publishable_key=None, stripe_webhook_secret=None, bank_account=None
    )


async def methods_of(client: httpx.AsyncClient) -> list[dict[str, Any]]:
    response = await client.get("/api/v1/payment-methods")
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["object"], body["has_more"], body["next_cursor"]) == ("list", False, None)
    return list(body["data"])


async def test_cards_are_offered_with_the_publishable_key_when_stripe_is_set(
    client: httpx.AsyncClient, settings: Settings
) -> None:
    methods = await methods_of(client)  # a guest asks: no credentials needed

    assert [method["id"] for method in methods] == ["cod", "bank_transfer", "card"]
    cod, bank, card = methods
    assert bank["provider"] == "vietqr" and bank["confirms_at_checkout"] is False
    assert bank["bank"] == {
        "bank_bin": "970436",
        "bank_name": "Vietcombank",
        "account_number": "0071000888888",
        "account_holder": "CONG TY MARKET",
    }
    assert bank["pay_within_s"] == card["pay_within_s"] == 1800 and cod["pay_within_s"] is None
    assert cod["object"] == "payment_method" and cod["publishable_key"] is None
    assert cod["confirms_at_checkout"] is True
    assert card["publishable_key"] == settings.stripe_publishable_key
    assert card["confirms_at_checkout"] is False
    assert card["provider"] == "stripe"


async def test_without_stripe_keys_only_cash_on_delivery_is_offered_and_checkout_agrees(
    client: httpx.AsyncClient, operator: str, categories: None, settings: Settings
) -> None:
    shop = await seller_with_products(client, operator, [{}])
    variant = variant_ids(shop["products"][0])[0]
    async with app_client(create_app(without_stripe(settings))) as no_cards:
        methods = await methods_of(no_cards)
        headers = await guest(no_cards)
        await fill_cart(no_cards, headers, [(variant, 1)])
        card = await checkout(no_cards, headers, checkout_body(payment_method="card"))
        cod = await checkout(no_cards, headers, checkout_body(payment_method="cod"))

    assert [method["id"] for method in methods] == ["cod"]  # no Stripe keys, no collection account
    assert card.status_code == 422
    assert card.json()["errors"][0] == {"field": "payment_method", "code": "payment_method_unavailable",
                                        "message": "Payment method 'card' is not offered."}  # fmt: skip
    assert cod.status_code == 201, cod.text


async def test_every_method_offered_is_one_checkout_takes(
    client: httpx.AsyncClient, operator: str, categories: None
) -> None:
    shop = await seller_with_products(client, operator, [{}])
    variant = variant_ids(shop["products"][0])[0]
    buyer = await mobile_buyer(client)

    for method in await methods_of(client):
        await fill_cart(client, buyer["headers"], [(variant, 1)])
        placed = await checkout(client, buyer["headers"], checkout_body(payment_method=method["id"]))
        assert placed.status_code == 201, (method["id"], placed.text)
        assert placed.json()["payment"]["method"] == method["id"]
