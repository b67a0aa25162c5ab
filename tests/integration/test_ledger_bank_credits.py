"""The bank transfers of track banktransfer (`bank_credit.*`, contracts.md), posted by the ledger's handlers from
events recorded here as that track will record them."""

from __future__ import annotations

from typing import Any

from market.core.db import fetch, transaction
from market.core.events import Event
from market.core.outbox.delivery import deliver
from market.core.outbox.service import record
from market.ledger import accounts
from market.ledger import service as ledger
from market.ledger.checks import check
from market.worker import load_handlers


async def _happen(event_type: str, payload: dict[str, Any]) -> Event:
    """Record the event as its producer would, and deliver it to every handler, twice (a redelivery)."""
    async with transaction():
        event_id = await record(event_type, payload)
    [row] = await fetch("SELECT payload::text AS payload FROM outbox_event WHERE event_id = $1", event_id)
    event = Event.from_job(event_id, event_type, row["payload"])
    for _ in range(2):
        await deliver(load_handlers(), event)
    return event


async def _balances() -> dict[str, int]:
    return {name: await ledger.account_balance(name)
            for name in (accounts.BANK_CLEARING, accounts.BANK_SUSPENSE, accounts.REFUNDS_PAYABLE)}  # fmt: skip


async def test_a_credit_lands_in_the_bank_and_waits_in_suspense_until_applied_or_given_back(client) -> None:
    await _happen("bank_credit.received", {"credit_id": "bcr_1", "provider": "sepay", "amount": 250_000,
                                           "order_id": None, "outcome": "unmatched"})  # fmt: skip
    assert await _balances() == {accounts.BANK_CLEARING: 250_000, accounts.BANK_SUSPENSE: 250_000,
                                 accounts.REFUNDS_PAYABLE: 0}  # fmt: skip
    await _happen("bank_credit.assigned", {"credit_id": "bcr_1", "order_id": "ord_1", "amount": 250_000,
                                           "actor": "operator:opr_1"})  # fmt: skip
    assert (await _balances())[accounts.BANK_SUSPENSE] == 250_000  # applied only by the order's payment
    await _happen("bank_credit.received", {"credit_id": "bcr_2", "provider": "casso", "amount": 90_000,
                                           "order_id": "ord_2", "outcome": "over"})  # fmt: skip
    await _happen("bank_credit.refund_flagged", {"credit_id": "bcr_2", "order_id": "ord_2", "amount": 40_000,
                                                 "reason": "excess"})  # fmt: skip
    assert await _balances() == {accounts.BANK_CLEARING: 340_000, accounts.BANK_SUSPENSE: 300_000,
                                 accounts.REFUNDS_PAYABLE: 40_000}  # fmt: skip
    kinds = await fetch("SELECT kind, count(*) AS n FROM ledger_entry GROUP BY kind")
    assert [(row["kind"], row["n"]) for row in kinds] == [("bank_credit", 3)]
    assert await check() == []
