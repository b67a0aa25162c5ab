"""A payout batch as the bank takes it: the bulk-transfer file (CSV and XLSX) and, per line, a VietQR code.

The columns follow the bulk-transfer ("chuyển tiền theo lô") upload templates of Vietnamese banks' business
internet banking: sequence number, beneficiary account, beneficiary name (as the bank prints it), the
beneficiary bank (its NAPAS BIN, which interbank transfers route by, and its short name), amount in đồng, transfer
content. The content is the line's payout reference, ASCII and at most 25 characters, so no bank truncates or
rewrites it and the seller finds it on its statement. The same reference is the VietQR purpose (62/08) of the
line's code, for banks without bulk upload (an operator scans each code in the bank's app).

The files are a pure function of the batch's lines: exporting twice gives the same bytes (the workbook's
timestamps are the batch's creation time).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime

import segno
from openpyxl import Workbook
from openpyxl.styles import Font

from market.core import vietqr
from market.core.banks import bank
from market.payouts.service import Batch, Line

HEADER = ("STT", "Số tài khoản người hưởng", "Tên người hưởng", "Mã ngân hàng (BIN)", "Ngân hàng hưởng",
          "Số tiền", "Nội dung chuyển khoản")  # fmt: skip
QR_HEADER = ("STT", "Nội dung chuyển khoản", "Số tiền", "VietQR")


def payload(line: Line) -> str:
    """The line's VietQR payload: an account transfer of its amount with its reference as the purpose."""
    return vietqr.encode(vietqr.Transfer(bin=line.bank_bin, account=line.account_number, amount=line.amount,
                                         purpose=line.reference))  # fmt: skip


def qr_png(line: Line, scale: int = 6) -> bytes:
    """The line's VietQR code as a PNG image."""
    out = io.BytesIO()
    segno.make(payload(line), error="m").save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def _rows(lines: Sequence[Line]) -> list[tuple[object, ...]]:
    rows: list[tuple[object, ...]] = []
    for n, line in enumerate(lines, start=1):
        found = bank(line.bank_bin)
        rows.append((n, line.account_number, line.holder_name, line.bank_bin, found.short_name if found else "",
                     line.amount, line.reference))  # fmt: skip
    return rows


def to_csv(lines: Sequence[Line]) -> bytes:
    """The bulk-transfer file as CSV (UTF-8, comma-separated, CRLF, a header row)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(_rows(lines))
    return out.getvalue().encode("utf-8")


def to_xlsx(batch: Batch, lines: Sequence[Line]) -> bytes:
    """The bulk-transfer file as an XLSX workbook: sheet "Chuyen tien" (the upload) and sheet "VietQR" (a payload per
    line); account numbers are text cells, so no leading zero is lost."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.title = "Chuyen tien"
    sheet.append(HEADER)
    for row in _rows(lines):
        sheet.append(row)
    for cells in sheet.iter_rows(min_row=2):
        cells[1].number_format = "@"
        cells[5].number_format = "#,##0"
    _style(sheet, (6, 28, 32, 18, 18, 16, 26))
    qr = workbook.create_sheet("VietQR")
    qr.append(QR_HEADER)
    for n, line in enumerate(lines, start=1):
        qr.append((n, line.reference, line.amount, payload(line)))
    _style(qr, (6, 26, 16, 120))
    created = batch.created_at.replace(tzinfo=None, microsecond=0)
    workbook.properties.creator = "market"
    workbook.properties.title = f"Payout batch {batch.number}"
    workbook.properties.created = created
    out = io.BytesIO()
    workbook.save(out)
    return _fixed_times(out.getvalue(), created)


def _style(sheet: object, widths: tuple[int, ...]) -> None:
    for cell in sheet[1]:  # type: ignore[index]
        cell.font = Font(bold=True)
    for index, width in enumerate(widths):
        sheet.column_dimensions[chr(ord("A") + index)].width = width  # type: ignore[attr-defined]


def _fixed_times(data: bytes, at: datetime) -> bytes:
    """The workbook with its modification time and its zip members' times set to `at` (openpyxl stamps the time
    of saving), so that the same batch always exports to the same bytes."""
    import re
    import zipfile

    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            body = source.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp, body)
            member = zipfile.ZipInfo(info.filename, date_time=at.timetuple()[:6])
            member.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(member, body)
    return out.getvalue()
