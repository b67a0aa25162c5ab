"""Card orders for tests outside test_payments.py."""

from __future__ import annotations

from typing import Any

import httpx

from market.core.db import fetch
from tests.buyers import mobile_buyer
from tests.shoppers import checkout, checkout_body, fill_cart, variant_ids


async def card_checkout(client: httpx.AsyncClient, shop: dict[str, Any]) -> dict[str, Any]:
    """A buyer checks out by card: {"order", "intent_id"}."""
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(variant_ids(shop["products"][0])[0], 1)])
    response = await checkout(client, buyer["headers"], checkout_body(payment_method="card"))
    assert response.status_code == 201, response.text
    rows = await fetch("SELECT provider_ref FROM payment WHERE order_id = $1", response.json()["id"])
    return {"order": response.json(), "intent_id": rows[0]["provider_ref"]}
