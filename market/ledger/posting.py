"""Applying the posting rules: a seller order's sale brought to its target, and the cash entries, each once.

Everything here runs inside the caller's transaction (the worker's transactional handler, with its receipt). A
seller order is locked for the ledger (a transaction-scoped advisory lock on its id) before its position is read,
so two events of the same seller order handled at once post one difference, not two.
"""

from __future__ import annotations

from collections.abc import Sequence

from market.core.db import fetch, transaction
from market.ledger import rules
from market.ledger.service import Line, Posting, post, post_many
from market.orders import money

POSITIONS_SQL = """
SELECT e.seller_order_id, l.account, sum(l.amount)::bigint AS amount
FROM ledger_entry e JOIN ledger_line l ON l.entry = e.id
WHERE e.seller_order_id = ANY($1::varchar[]) AND e.kind = ANY($2::varchar[])
GROUP BY 1, 2
"""


async def positions(seller_order_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    """What the sale entries of these seller orders posted so far, per account (signed)."""
    found: dict[str, dict[str, int]] = {}
    for row in await fetch(POSITIONS_SQL, list(seller_order_ids), list(rules.SALE_KINDS)):
        found.setdefault(row["seller_order_id"], {})[row["account"]] = row["amount"]
    return found


async def sync_sales(seller_order_ids: Sequence[str], source: str, kind: str, event_id: str | None = None) -> int:
    """Post, for each seller order, the difference between its target and what was posted (source
    `<source>:<seller order id>`); returns how many entries were posted."""
    ids = sorted(set(seller_order_ids))
    async with transaction():
        for seller_order_id in ids:  # in id order, so that two handlers never wait for each other in a cycle
            await fetch("SELECT pg_advisory_xact_lock(hashtextextended($1, 13))", seller_order_id)
        posted = await positions(ids)
        postings = []
        for facts in await money.money_facts(ids):
            lines = rules.difference(rules.target(facts), posted.get(facts.seller_order_id, {}))
            if lines:
                postings.append(Posting(
                    f"{source}:{facts.seller_order_id}", lines, rules.MEMO_OF_KIND.get(kind, ""), kind,
                    facts.seller_id, facts.seller_order_id, event_id,
                ))  # fmt: skip
        return await post_many(postings)


async def cash(
    source: str, lines: list[Line], memo: str, kind: str, *, seller_id: str | None = None,
    seller_order_id: str | None = None, event_id: str | None = None,
) -> bool:  # fmt: skip
    """A cash entry (remittance, refund sent, bank credit), once per source."""
    return await post(source, lines, memo, kind=kind, seller_id=seller_id, seller_order_id=seller_order_id,
                      event_id=event_id)  # fmt: skip
