"""The monthly statement as a PDF (fpdf2), in Vietnamese.

fpdf2's core fonts are Latin-1 only, and Vietnamese needs many precomposed letters beyond it (ạ, ế, ữ, đ...), so
the text is set in DejaVu Sans, a TrueType font with full Vietnamese coverage that fpdf2 embeds (subset) in the
file. The font is not committed here: Debian's `fonts-dejavu-core` installs it (it is on the machines this project
runs on; the Dockerfile installs it) and `STATEMENT_FONT_DIR` can point elsewhere. Without it a PDF statement is a
503 naming the font, and the CSV statement still works.
"""

from __future__ import annotations

import os
from pathlib import Path

from fpdf import FPDF

from market.core.errors import DependencyUnavailable
from market.payouts.statements import STATUS, Statement, _day, describe

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts")
REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"


def font_dir() -> Path:
    """The folder holding DejaVu Sans (`STATEMENT_FONT_DIR` first)."""
    candidates = [os.environ.get("STATEMENT_FONT_DIR", ""), *FONT_DIRS]
    for folder in candidates:
        if folder and (Path(folder) / REGULAR).is_file() and (Path(folder) / BOLD).is_file():
            return Path(folder)
    raise DependencyUnavailable("font", "DejaVu Sans (fonts-dejavu-core) is not installed; PDF statements need it.")


def _money(amount: int) -> str:
    return f"{amount:,}".replace(",", ".")


def render(doc: Statement) -> bytes:
    """The statement as PDF bytes (A4, landscape)."""
    folder = font_dir()
    pdf = FPDF(orientation="L", format="A4")
    pdf.set_creator("market")
    pdf.set_title(f"Sao kê {doc.month}")
    pdf.set_creation_date(doc.until)
    pdf.add_font("DejaVu", "", str(folder / REGULAR))
    pdf.add_font("DejaVu", "B", str(folder / BOLD))
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 15)
    pdf.cell(0, 9, f"SAO KÊ TÀI KHOẢN NGƯỜI BÁN - THÁNG {doc.month[5:]}/{doc.month[:4]}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    for label, party in (("Đơn vị phát hành (sàn)", doc.marketplace), ("Người bán", doc.seller)):
        pdf.cell(0, 5, f"{label}: {party.name} - MST: {party.tax_code or 'chưa cung cấp'} - {party.address}"
                 + (f" - {party.extra}" if party.extra else ""), new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.cell(0, 5, f"Kỳ sao kê: {_day(doc.since)} đến {_day(doc.until)} (giờ Việt Nam). Đơn vị: đồng.",
             new_x="LMARGIN", new_y="NEXT")  # fmt: skip
    pdf.ln(3)
    widths = (30, 104, 38, 35, 35, 35)
    _row(pdf, widths, ("Ngày", "Diễn giải", "Đơn hàng", "Chờ đối soát", "Khả dụng", "Đang chuyển"), bold=True)
    _row(pdf, widths, ("", "Số dư đầu kỳ", "", *map(_money, doc.opening)), bold=True)
    for entry in doc.entries:
        _row(pdf, widths, (_day(entry.at), describe(entry), entry.seller_order_id or "", _money(entry.pending),
                           _money(entry.available), _money(entry.in_transit)))  # fmt: skip
    _row(pdf, widths, ("", "Số dư cuối kỳ", "", *map(_money, doc.closing)), bold=True)
    pdf.ln(4)
    pdf.set_font("DejaVu", "B", 11)
    pdf.cell(0, 7, "Các khoản chi trả trong kỳ", new_x="LMARGIN", new_y="NEXT")
    payout_widths = (30, 70, 40, 50, 87)
    _row(pdf, payout_widths, ("Ngày", "Nội dung chuyển khoản", "Số tiền", "Trạng thái", "Tham chiếu ngân hàng"),
         bold=True)  # fmt: skip
    if not doc.payouts:
        _row(pdf, payout_widths, ("", "Không có khoản chi trả nào", "", "", ""))
    for line in doc.payouts:
        _row(pdf, payout_widths, (_day(line.created_at), line.reference, _money(line.amount),
                                  STATUS.get(line.status, line.status), line.bank_reference or ""))  # fmt: skip
    return bytes(pdf.output())


def _row(pdf: FPDF, widths: tuple[int, ...], cells: tuple[str, ...], *, bold: bool = False) -> None:
    pdf.set_font("DejaVu", "B" if bold else "", 8)
    for index, (width, text) in enumerate(zip(widths, cells, strict=True)):
        numeric = index >= len(widths) - 3 and len(widths) == 6
        pdf.cell(width, 6, text[:80], border=1, align="R" if numeric else "L")
    pdf.ln(6)
