"""Fixtures for the contract tests: the app served over HTTP, its published document, principals of every kind."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.api.conftest import categories, operator, seller, worker
from tests.contract.served import ServedApp

__all__ = ["categories", "document", "operator", "seller", "served", "worker"]


@pytest.fixture(scope="session")
def served(database: None) -> Iterator[ServedApp]:
    """The API over HTTP for the whole session (every test's clean_state empties the tables it reads), with the
    bank simulator whose transaction list the reconciliation endpoint pulls."""
    from tests.conftest import BANK_SIM

    BANK_SIM.start()
    with ServedApp() as app:
        yield app


@pytest.fixture(scope="session")
def document(served: ServedApp) -> dict[str, Any]:
    """The OpenAPI document exactly as clients download it."""
    response = httpx.get(f"{served.base_url}/schema/openapi.json", timeout=30)
    assert response.status_code == 200, response.text
    found: dict[str, Any] = response.json()
    return found
