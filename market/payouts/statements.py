"""A seller's monthly statement (sao kê): opening balances, every ledger entry of the month, closing balances and
the month's payouts, with the marketplace's and the seller's details; as CSV and as a PDF in Vietnamese.

The month is a Vietnamese calendar month (from 00:00 on the 1st in Asia/Ho_Chi_Minh). Balances are split as the
ledger keeps them: pending (chờ đối soát), available (khả dụng) and in transit (đang chuyển); each entry shows what
it changed in each, so opening + entries = closing per column, to the đồng.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from market.core import clock
from market.core.db import fetch
from market.core.errors import field_error
from market.ledger.reads import StatementEntry, balances_before, statement_entries
from market.payouts.service import Line, _line
from market.sellers.service import get as get_seller

_MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
KINDS = {
    "payment": "Bán hàng (đã thanh toán)", "catch_weight": "Chênh lệch cân thực tế", "cancellation": "Hủy đơn",
    "return": "Trả hàng", "refund": "Hoàn tiền", "release": "Đối soát xong, chuyển sang khả dụng",
    "commission": "Phí hoa hồng", "tax": "Thuế khấu trừ", "payout_reserved": "Chi trả: đưa vào đợt chuyển",
    "payout_paid": "Chi trả: đã chuyển khoản", "payout_failed": "Chi trả không thành công",
    "payout_returned": "Chi trả bị ngân hàng trả lại",
}  # fmt: skip
STATUS = {"pending": "Đang xử lý", "paid": "Đã chuyển", "failed": "Không thành công", "returned": "Bị trả lại"}


@dataclass(frozen=True)
class Party:
    """Who a statement is from or for."""

    name: str
    tax_code: str | None
    address: str
    extra: str = ""


@dataclass(frozen=True)
class Statement:
    """One seller's month."""

    seller_id: str
    month: str
    since: datetime
    until: datetime
    marketplace: Party
    seller: Party
    opening: tuple[int, int, int]
    entries: list[StatementEntry]
    payouts: list[Line]

    @property
    def closing(self) -> tuple[int, int, int]:
        totals = list(self.opening)
        for entry in self.entries:
            totals = [totals[0] + entry.pending, totals[1] + entry.available, totals[2] + entry.in_transit]
        return totals[0], totals[1], totals[2]


def month_bounds(month: str) -> tuple[date, datetime, datetime]:
    """(first day, start, end) of a `YYYY-MM` Vietnamese month; 422 naming `month` otherwise."""
    match = _MONTH.match(month)
    if not match:
        raise field_error("month", "invalid", "A month as YYYY-MM, e.g. 2026-11.")
    first = date(int(match.group(1)), int(match.group(2)), 1)
    following = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, clock.start_of_day(first), clock.start_of_day(following)


async def statement(seller_id: str, month: str, marketplace: Party) -> Statement:
    """The seller's statement of `month` (`YYYY-MM`)."""
    _, since, until = month_bounds(month)
    seller = await get_seller(seller_id)
    pickup = seller.pickup_address
    address: dict[str, Any] = pickup if isinstance(pickup, dict) else json.loads(pickup or "{}")
    party = Party(seller.legal_name, seller.tax_code, str(address.get("street", "")), f"{seller.display_name} · "
                  f"{seller.phone}")  # fmt: skip
    rows = await fetch(
        "SELECT * FROM payout_line WHERE seller_id = $1 AND created_at >= $2 AND created_at < $3 ORDER BY created_at",
        seller_id, since, until,
    )  # fmt: skip
    return Statement(seller_id, month, since, until, marketplace, party, await balances_before(seller_id, since),
                     await statement_entries(seller_id, since, until), [_line(row) for row in rows])  # fmt: skip


def describe(entry: StatementEntry) -> str:
    label = KINDS.get(entry.kind, entry.kind)
    return f"{label} - {entry.memo}" if entry.memo and entry.memo != label else label


def _day(at: datetime) -> str:
    return at.astimezone(clock.VIETNAM).strftime("%d/%m/%Y %H:%M")


def to_csv(doc: Statement) -> bytes:
    """The statement as CSV: a header block, one row per entry (with the change of each balance), the closing row,
    then the month's payouts. UTF-8 with a byte-order mark, so spreadsheet programs show the Vietnamese text."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(("Sao kê tháng", doc.month))
    writer.writerow(("Sàn", doc.marketplace.name, "MST", doc.marketplace.tax_code or "", doc.marketplace.address))
    writer.writerow(("Người bán", doc.seller.name, "MST", doc.seller.tax_code or "", doc.seller.address))
    writer.writerow(())
    writer.writerow(("Ngày", "Mã bút toán", "Loại", "Diễn giải", "Đơn hàng", "Chờ đối soát", "Khả dụng",
                     "Đang chuyển"))  # fmt: skip
    writer.writerow(("", "", "opening", "Số dư đầu kỳ", "", *doc.opening))
    for entry in doc.entries:
        writer.writerow((_day(entry.at), entry.entry_id, entry.kind, describe(entry), entry.seller_order_id or "",
                         entry.pending, entry.available, entry.in_transit))  # fmt: skip
    writer.writerow(("", "", "closing", "Số dư cuối kỳ", "", *doc.closing))
    writer.writerow(())
    writer.writerow(("Chi trả", "Mã", "Nội dung", "Số tiền", "Trạng thái", "Tham chiếu ngân hàng"))
    for line in doc.payouts:
        writer.writerow((_day(line.created_at), line.id, line.reference, line.amount, line.status,
                         line.bank_reference or ""))  # fmt: skip
    return ("\ufeff" + out.getvalue()).encode("utf-8")
