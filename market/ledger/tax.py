"""The monthly tax report (Decree 117/2025/NĐ-CP): per seller, for one Vietnamese calendar month, the revenue on
which the platform withheld VAT and PIT, and the offsets of sales cancelled or returned in the same month.

Read from the sale entries posted in the month (their lines on the seller's accounts, the commission and the two
tax accounts): an entry that adds goods revenue counts as revenue with the tax it withheld; one that takes revenue
back (a cancellation after payment, a lighter catch weight, a return, a refund) is an offset. Rates are data: the
`tax_rate` table (validity dates), and the rate used for a seller order is frozen on it at checkout.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date

from market.core import clock
from market.core.db import fetch
from market.ledger import accounts, rules


@dataclass(frozen=True)
class TaxRow:
    """One seller's month."""

    seller_id: str
    legal_name: str
    kind: str
    tax_code: str | None
    personal_id: str | None
    revenue: int
    vat: int
    pit: int
    offset_revenue: int
    offset_vat: int
    offset_pit: int

    @property
    def withheld(self) -> bool:
        return self.kind in ("household", "individual")


REPORT_SQL = """
WITH per_entry AS (
    SELECT e.id, e.seller_id,
           -sum(l.amount) FILTER (WHERE l.account IN (e.seller_id_pending, e.seller_id_available, $3, $4, $5))
               AS revenue,
           -coalesce(sum(l.amount) FILTER (WHERE l.account = $4), 0) AS vat,
           -coalesce(sum(l.amount) FILTER (WHERE l.account = $5), 0) AS pit
    FROM (SELECT e.*, 'seller:' || e.seller_id || ':pending' AS seller_id_pending,
                 'seller:' || e.seller_id || ':available' AS seller_id_available
          FROM ledger_entry e
          WHERE e.created_at >= $1 AND e.created_at < $2 AND e.kind = ANY($6::varchar[]) AND e.seller_id IS NOT NULL
            AND ($7::varchar IS NULL OR e.seller_id = $7)) e
    JOIN ledger_line l ON l.entry = e.id
    GROUP BY e.id, e.seller_id
)
SELECT p.seller_id, s.legal_name, s.kind, s.tax_code, s.personal_id,
       coalesce(sum(p.revenue) FILTER (WHERE p.revenue > 0), 0)::bigint AS revenue,
       coalesce(sum(p.vat) FILTER (WHERE p.vat > 0), 0)::bigint AS vat,
       coalesce(sum(p.pit) FILTER (WHERE p.pit > 0), 0)::bigint AS pit,
       coalesce(-sum(p.revenue) FILTER (WHERE p.revenue < 0), 0)::bigint AS offset_revenue,
       coalesce(-sum(p.vat) FILTER (WHERE p.vat < 0), 0)::bigint AS offset_vat,
       coalesce(-sum(p.pit) FILTER (WHERE p.pit < 0), 0)::bigint AS offset_pit
FROM per_entry p JOIN seller s ON s.id = p.seller_id
GROUP BY p.seller_id, s.legal_name, s.kind, s.tax_code, s.personal_id
HAVING coalesce(sum(abs(p.revenue)), 0) <> 0
ORDER BY p.seller_id
"""


def month_bounds(month: date) -> tuple[date, date]:
    """The first and last Vietnamese day of the month `month` falls in."""
    first = month.replace(day=1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    return first, date.fromordinal(following.toordinal() - 1)


async def report(month: date, seller_id: str | None = None) -> list[TaxRow]:
    """Every seller's (or one seller's) month, by seller id; sellers with no sale in the month are left out."""
    first, last = month_bounds(month)
    rows = await fetch(
        REPORT_SQL, clock.start_of_day(first), clock.end_of_day(last), accounts.COMMISSION_REVENUE,
        accounts.TAX_VAT, accounts.TAX_PIT, list(rules.SALE_KINDS), seller_id,
    )  # fmt: skip
    return [TaxRow(**dict(row)) for row in rows]


HEADER = [
    "ky_ke_khai", "seller_id", "ten_nguoi_ban", "loai", "ma_so_thue", "so_dinh_danh", "khau_tru",
    "doanh_thu", "thue_gtgt", "thue_tncn", "doanh_thu_giam_tru", "thue_gtgt_giam_tru", "thue_tncn_giam_tru",
    "doanh_thu_thuan", "thue_gtgt_thuan", "thue_tncn_thuan",
]  # fmt: skip
"""Columns: period (MM/YYYY), seller, legal name, kind, tax code, personal id number, withheld by the platform
(co/khong), revenue, VAT, PIT, their offsets (returns and cancellations in the period) and the net figures."""


def to_csv(month: date, rows: list[TaxRow]) -> str:
    """The report as CSV (UTF-8, comma-separated, one header line), amounts in whole đồng."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    period = f"{month.month:02d}/{month.year}"
    for row in rows:
        writer.writerow([
            period, row.seller_id, row.legal_name, row.kind, row.tax_code or "", row.personal_id or "",
            "co" if row.withheld else "khong", row.revenue, row.vat, row.pit, row.offset_revenue, row.offset_vat,
            row.offset_pit, row.revenue - row.offset_revenue, row.vat - row.offset_vat, row.pit - row.offset_pit,
        ])  # fmt: skip
    return out.getvalue()
