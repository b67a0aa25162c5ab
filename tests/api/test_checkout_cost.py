"""What one checkout costs the database: the statements it sends, counted on the wire (asyncpg's connection)."""

from __future__ import annotations

from typing import Any

import asyncpg
import httpx
import pytest

from tests.buyers import mobile_buyer, seller_with_products
from tests.shoppers import checkout, fill_cart, variant_ids


async def test_a_cod_checkout_sends_two_statements(
    client: httpx.AsyncClient, operator: str, categories: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = await seller_with_products(client, operator, [{}])
    second = await seller_with_products(client, operator, [{}])
    buyer = await mobile_buyer(client)
    kg, box = variant_ids(first["products"][0])
    await fill_cart(client, buyer["headers"], [(kg, 1), (box, 1), (variant_ids(second["products"][0])[0], 2)])
    sent: list[str] = []
    for name in ("fetch", "fetchrow", "fetchval", "execute", "executemany"):
        original = getattr(asyncpg.connection.Connection, name)

        def counting(original: Any = original) -> Any:
            async def call(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
                sent.append(query.split(None, 1)[0].upper())
                return await original(self, query, *args, **kwargs)

            return call

        monkeypatch.setattr(asyncpg.connection.Connection, name, counting())

    response = await checkout(client, buyer["headers"])

    assert response.status_code == 201, response.text
    # read the variants, then claim the key, reserve and write everything in one statement (its own transaction)
    assert sent == ["SELECT", "WITH"]
