"""The payout demo: bank accounts for the demo sellers, one batch exported with a line paid; loaded once."""

from __future__ import annotations

import httpx

from market.core.db import fetch
from market.payouts.demo import seed_payouts
from tests.factories import registered_seller
from tests.payouts import sale


async def test_the_demo_pays_out_once(client: httpx.AsyncClient, operator: str) -> None:
    sellers = [(await registered_seller(client, approve_with=operator))["seller"]["id"] for _ in range(3)]
    await sale(sellers[0], 300_000)
    await sale(sellers[1], 120_000)
    assert await seed_payouts(sellers, 50_000) == {"bank_accounts": 3, "payout_batches": 1}
    holders = await fetch("SELECT holder_name FROM seller_bank_account ORDER BY holder_name")
    assert all(row["holder_name"].startswith("HOP TAC XA NONG NGHIEP MANG CAU BA DEN") for row in holders)
    lines = await fetch("SELECT status, bank_reference FROM payout_line ORDER BY status")
    assert [row["status"] for row in lines] == ["paid", "pending"]
    assert (await fetch("SELECT exported_at FROM payout_batch"))[0]["exported_at"] is not None
    assert await seed_payouts(sellers, 50_000) == {"bank_accounts": 0, "payout_batches": 0}
