"""Sellers with money to pay out: a bank account, past its cooling-off, and an available balance in the ledger."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import msgspec

from market.core.db import fetch
from market.core.ids import new_id
from market.ledger import accounts
from market.ledger import service as ledger
from tests.factories import bearer, registered_seller

VCB = "970436"
START = datetime(2026, 11, 9, 2, 0, tzinfo=UTC)
"""09:00 on Monday 9 November 2026 in Vietnam: the tests' clock starts here."""


def account_body(**overrides: Any) -> dict[str, Any]:
    body = {"bank_bin": VCB, "account_number": "0071 000 123456", "holder_name": "Nguyễn Văn  An"}
    body.update(overrides)
    return body


async def set_account(client: httpx.AsyncClient, session: str, **overrides: Any) -> dict[str, Any]:
    response = await client.put("/seller/v1/bank-account", json=account_body(**overrides), headers=bearer(session))
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def sale(seller_id: str, amount: int, order: str | None = None) -> None:
    """A paid sale that completed: the buyer's money into pending, then released to available (as the ledger's
    rules post them)."""
    order = order or new_id("sor")
    await ledger.post(f"test:{order}:payment", [ledger.debit(accounts.CARD_CLEARING, amount),
                      ledger.credit(accounts.pending(seller_id), amount)], "Đơn hàng", kind="payment",
                      seller_id=seller_id, seller_order_id=order)  # fmt: skip
    await ledger.post(f"test:{order}:release", [ledger.debit(accounts.pending(seller_id), amount),
                      ledger.credit(accounts.available(seller_id), amount)], "Hết hạn trả hàng", kind="release",
                      seller_id=seller_id, seller_order_id=order)  # fmt: skip


async def banked_seller(client: httpx.AsyncClient, operator: str, **account: Any) -> dict[str, Any]:
    """An approved seller whose owner set a bank account (still cooling off)."""
    seller = await registered_seller(client, approve_with=operator)
    seller["account"] = await set_account(client, seller["session"], **account)
    return seller


async def events(event_type: str) -> list[dict[str, Any]]:
    rows = await fetch("SELECT payload FROM outbox_event WHERE type = $1 ORDER BY id", event_type)
    return [row["payload"] if isinstance(row["payload"], dict) else msgspec.json.decode(row["payload"])
            for row in rows]  # fmt: skip
