"""A TypeScript client (openapi-typescript + openapi-fetch) generated from `/schema/openapi.json` with no warning,
the flows type-checked by `tsc --noEmit` (strict) with no diagnostic, then run with node against the served app:
the buyer's flow and the seller's, as tests/contract/test_python_client.py runs them in Python."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from market.core.db import fetch
from market.core.resources import Resources
from tests.buyers import PASSWORD as BUYER_PASSWORD
from tests.contract.served import ServedApp
from tests.contract.shops import PASSWORD, two_shops
from tests.contract.test_python_client import QUOTES
from tests.contract.typescript_client import Compiled, compile_flows, environment, install_tools


@pytest.fixture(scope="module")
def compiled(document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Compiled:
    with_quote = QUOTES[0] in document["paths"]
    return compile_flows(install_tools(), document, tmp_path_factory.mktemp("ts-client"), with_quote)


def test_openapi_typescript_has_no_warning_and_the_flows_type_check(compiled: Compiled) -> None:
    assert compiled.generator_warnings == [], "\n".join(compiled.generator_warnings)
    assert compiled.diagnostics == "", compiled.diagnostics


async def test_buyer_and_seller_flows_through_the_generated_typescript_client(
    compiled: Compiled, served: ServedApp, client: httpx.AsyncClient, categories: None, operator: str,
    worker: Callable[[], Awaitable[None]], carrier_sim: Any, resources: Resources,
) -> None:  # fmt: skip
    assert compiled.diagnostics == "", f"the flows do not type-check against the document:\n{compiled.diagnostics}"
    shops = await two_shops(client, operator, worker, resources)
    flow_input = {
        "base_url": served.base_url, "search_words": shops.search_words, "seller_password": PASSWORD,
        "buyer_password": BUYER_PASSWORD, "address": shops.address, "quote": compiled.with_quote,
        "shops": [{"seller_id": shop.seller_id, "owner_identifier": shop.owner_identifier,
                   "product_slug": shop.product_slug, "variant_id": shop.variant_id} for shop in shops.shops],
    }  # fmt: skip
    node = await asyncio.create_subprocess_exec(  # the worker (this loop) opens parcels while node runs
        "node", str(Path(compiled.directory) / "out" / "flows.js"), env=environment(flow_input),
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    stdout, stderr = await asyncio.wait_for(node.communicate(), timeout=180)
    assert node.returncode == 0, f"{stderr.decode()}\n{stdout.decode()}"
    outcome = json.loads(stdout.decode().strip().splitlines()[-1])
    stored = await fetch("SELECT id, status FROM seller_order WHERE order_id = $1 ORDER BY status", outcome["order_id"])
    assert [row["status"] for row in stored] == ["confirmed", "packed"]
    assert outcome["packed"] in {row["id"] for row in stored}
    if not compiled.with_quote:
        pytest.skip("POST /api/v1/shipping/quotes is not in the document yet: the buyer flow ran without its quote")
