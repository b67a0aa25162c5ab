"""What one checkout costs the database: the statements it sends, counted on the wire (asyncpg's connection)."""

from __future__ import annotations

import httpx
import pytest

from tests.buyers import mobile_buyer, seller_with_products
from tests.shoppers import checkout, fill_cart, variant_ids
from tests.wire import count_statements


async def test_a_cod_checkout_sends_two_statements(
    client: httpx.AsyncClient, operator: str, categories: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await seller_with_products(client, operator, [{}])
    second = await seller_with_products(client, operator, [{}])
    buyer = await mobile_buyer(client)
    kg, box = variant_ids(first["products"][0])
    await fill_cart(client, buyer["headers"], [(kg, 1), (box, 1), (variant_ids(second["products"][0])[0], 2)])
    sent = count_statements(monkeypatch)

    response = await checkout(client, buyer["headers"])

    assert response.status_code == 201, response.text
    # read the variants, then claim the key, reserve and write everything in one statement (its own transaction)
    assert sent == ["SELECT", "WITH"]
