"""Payout demo data, after the ledger's: bank accounts for the demo sellers, and one payout batch, exported, with
its first line marked paid (so `deploy/dev run` shows a payout history and a statement with a payout)."""

from __future__ import annotations

import re
from datetime import timedelta

from market.core import clock
from market.core.banks import napas_banks
from market.core.db import fetch
from market.payouts import accounts, service

DEMO_ACTOR = "system:demo"


async def seed_payouts(seller_ids: list[str], minimum: int) -> dict[str, int]:
    """Give each seller a bank account (effective at once: the demo skips the cooling-off), then create last week's
    batch when any seller has `minimum` available, export it and mark its first line paid. Idempotent."""
    banks = list(napas_banks().values())[:8]
    made = 0
    for number, seller_id in enumerate(seller_ids, start=1):
        rows = await fetch("SELECT legal_name FROM seller WHERE id = $1", seller_id)
        if not rows or await accounts.current(seller_id):
            continue
        holder = " ".join(re.sub(r"[^A-Z ]", "", accounts.holder_name(rows[0]["legal_name"])).split())[:70].strip()
        await accounts.set_account(seller_id, banks[number % len(banks)].bin, f"1020{number:06d}{number % 7}",
                                   holder, actor=DEMO_ACTOR, cooling_off_h=0)  # fmt: skip
        made += 1
    if await fetch("SELECT 1 FROM payout_batch LIMIT 1"):
        return {"bank_accounts": made, "payout_batches": 0}
    today = clock.today()
    try:
        batch, _ = await service.create_batch(today - timedelta(days=7), today - timedelta(days=1),
                                              actor=DEMO_ACTOR, minimum=minimum)  # fmt: skip
    except service.NothingToPay:
        return {"bank_accounts": made, "payout_batches": 0}
    await service.mark_exported(batch.id, DEMO_ACTOR)
    first = (await service.lines_of(batch.id, None, 1))[0]
    await service.mark(batch.id, first.id, "paid", actor=DEMO_ACTOR, bank_reference=f"FT{today:%y%j}DEMO0001")
    return {"bank_accounts": made, "payout_batches": 1}
