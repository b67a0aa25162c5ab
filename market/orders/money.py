"""What the ledger needs to know about seller orders' money, read for it here (the orders context owns the rows)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from market.core.db import fetch


@dataclass(frozen=True)
class MoneyFacts:
    """A seller order's money as it stands: what was charged, collected, remitted, given back, and the terms frozen
    at checkout (commission in millionths of the goods plus a fixed amount, VAT and PIT withheld in basis points)."""

    seller_order_id: str
    order_id: str
    seller_id: str
    status: str
    payment_method: str
    paid: bool
    subtotal: int
    final_subtotal: int | None
    shipping_fee: int
    cod_collected: int | None
    cod_remitted: int | None
    returned_amount: int
    commission_ppm: int
    commission_fixed: int
    tax_vat_bps: int
    tax_pit_bps: int


FACTS_SQL = """
SELECT s.id AS seller_order_id, s.order_id, s.seller AS seller_id, s.status, s.payment_method,
       o.payment_status = 'paid' AS paid, s.subtotal, s.final_subtotal, s.shipping_fee, s.cod_collected,
       s.cod_remitted, s.returned_amount, s.commission_ppm, s.commission_fixed, s.tax_vat_bps, s.tax_pit_bps
FROM seller_order s JOIN orders o ON o.id = s.order_id
WHERE s.id = ANY($1::varchar[]) ORDER BY s.id
"""


async def money_facts(seller_order_ids: Sequence[str]) -> list[MoneyFacts]:
    """The money facts of these seller orders (unknown ids are left out), by id."""
    return [MoneyFacts(**dict(row)) for row in await fetch(FACTS_SQL, list(seller_order_ids))]


async def seller_order_ids(order_id: str) -> list[str]:
    """The seller orders of an order, by id."""
    return [row["id"] for row in await fetch("SELECT id FROM seller_order WHERE order_id = $1 ORDER BY id", order_id)]
