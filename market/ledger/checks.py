"""`market ledger check`: the maintained balances and the entries, recomputed from the lines."""

from __future__ import annotations

from dataclasses import dataclass

from market.core.db import fetch


@dataclass(frozen=True)
class Difference:
    """One thing the check found: what (`balance`, `unbalanced_entry`, `empty_entry`, `journal`), where, and the
    figures (`expected` recomputed from the lines, `found` as stored)."""

    kind: str
    subject: str
    expected: int
    found: int


BALANCES_SQL = """
SELECT coalesce(a.name, s.account) AS name, coalesce(s.total, 0)::bigint AS expected, coalesce(a.balance, 0) AS found
FROM ledger_account a FULL JOIN (SELECT account, sum(amount) AS total FROM ledger_line GROUP BY account) s
  ON s.account = a.name
WHERE coalesce(s.total, 0) <> coalesce(a.balance, 0)
ORDER BY 1
"""
UNBALANCED_SQL = "SELECT entry, sum(amount)::bigint AS total FROM ledger_line GROUP BY entry HAVING sum(amount) <> 0"
EMPTY_SQL = "SELECT e.id FROM ledger_entry e WHERE NOT EXISTS (SELECT 1 FROM ledger_line l WHERE l.entry = e.id)"
JOURNAL_SQL = "SELECT coalesce(sum(amount), 0)::bigint AS total, count(*) AS lines FROM ledger_line"


async def check() -> list[Difference]:
    """Every difference between the stored balances and the lines, every entry that does not balance or has no
    line, and the whole journal's sum (zero when all is well). Empty: the ledger is consistent."""
    found = [Difference("balance", row["name"], row["expected"], row["found"]) for row in await fetch(BALANCES_SQL)]
    found += [Difference("unbalanced_entry", row["entry"], 0, row["total"]) for row in await fetch(UNBALANCED_SQL)]
    found += [Difference("empty_entry", row["id"], 2, 0) for row in await fetch(EMPTY_SQL)]
    journal = (await fetch(JOURNAL_SQL))[0]
    if journal["total"] != 0:
        found.append(Difference("journal", "all lines", 0, journal["total"]))
    return found
