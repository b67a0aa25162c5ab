"""The bank benchmark's app: the market app (with the checkout benchmark's bare endpoints) plus L-bank-insert, a bare
endpoint that does what the least a webhook could do costs: read the body and insert its row with raw asyncpg."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from litestar import Litestar, Request, post

from market.app import create_app
from market.core.clock import VIETNAM
from market.core.ids import new_id
from tests.bench.apps import l_cart, l_checkout, l_reserve, raw_detail, raw_pool

RAW_INSERT_SQL = """
INSERT INTO bench_bank_credit (id, provider, provider_key, gateway, account_number, transferred_at, direction, amount,
                               content, bank_reference, reference, order_id, outcome, queue, refund_amount, payload,
                               received_at)
VALUES ($1, 'sepay', $2, $3, $4, $5, $6, $7, $8, $9, NULL, NULL, 'stored', NULL, 0, $10::jsonb, now())
ON CONFLICT (provider_key) DO NOTHING
"""


def raw_args(body: dict[str, Any]) -> list[Any]:
    when = datetime.strptime(body["transactionDate"], "%Y-%m-%d %H:%M:%S").replace(tzinfo=VIETNAM)
    return [new_id("bcr"), f"sepay:{body['id']}", body["gateway"], body["accountNumber"], when, body["transferType"],
            body["transferAmount"], body["content"], body["referenceCode"], json.dumps(body)]  # fmt: skip


@post("/bench/l-bank-insert", status_code=200, include_in_schema=False)
async def l_bank_insert(request: Request[Any, Any, Any]) -> dict[str, bool]:
    body = json.loads(await request.body())
    await (await raw_pool()).execute(RAW_INSERT_SQL, *raw_args(body))
    return {"success": True}


def bank_bench_app() -> Litestar:
    return create_app(extra_route_handlers=[raw_detail, l_cart, l_reserve, l_checkout, l_bank_insert])
