"""What the ledger needs to know about refunds, read for it here (the payments context owns the rows)."""

from __future__ import annotations

from dataclasses import dataclass

from market.core.db import fetch


@dataclass(frozen=True)
class RefundFacts:
    """A refund: how much, for which order and seller order, and whether it goes through the card processor."""

    refund_id: str
    order_id: str
    seller_order_id: str | None
    amount: int
    by_card: bool
    status: str
    request_key: str


async def refund_facts(refund_id: str) -> RefundFacts | None:
    """The refund, or None when there is no such refund."""
    rows = await fetch(
        "SELECT id AS refund_id, order_id, seller_order_id, amount, payment_id <> '' AS by_card, status, request_key "
        "FROM refund WHERE id = $1",
        refund_id,
    )
    return RefundFacts(**dict(rows[0])) if rows else None
