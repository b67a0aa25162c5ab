"""The API fixtures (sellers, operators, the worker) for the notification tests, and their one shop."""

from typing import Any

import httpx
import pytest

from tests.api.conftest import categories, operator, seller, worker
from tests.buyers import seller_with_products

__all__ = ["categories", "operator", "seller", "shop", "worker"]


@pytest.fixture
async def shop(client: httpx.AsyncClient, operator: str, categories: None) -> dict[str, Any]:
    """A seller with one product (a kilogram and a box variant, 8 boxes in stock)."""
    return await seller_with_products(client, operator, [{}])
