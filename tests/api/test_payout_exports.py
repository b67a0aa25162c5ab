"""What the bank gets: the bulk-transfer CSV and XLSX (same bytes every time), a VietQR code per line; and the
seller's monthly statement as CSV and as a Vietnamese PDF whose text reads back."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import httpx
from openpyxl import load_workbook
from pypdf import PdfReader

from market.core import clock, vietqr
from market.core.db import fetch
from tests.factories import bearer
from tests.payouts import START, banked_seller, sale

PERIOD = {"period_start": "2026-11-02", "period_end": "2026-11-08"}


async def _batch(client: httpx.AsyncClient, operator: str) -> tuple[dict, dict]:
    with clock.frozen_at(START):
        first = await banked_seller(client, operator)
        second = await banked_seller(client, operator, bank_bin="970405", account_number="5100205123789",
                                     holder_name="Hợp tác xã Đức Hòa")  # fmt: skip
        await sale(first["seller"]["id"], 245_760)
        await sale(second["seller"]["id"], 1_000_000)
    with clock.frozen_at(START + timedelta(hours=49)):
        created = await client.post("/admin/v1/payout-batches", json=PERIOD,
                                    headers=bearer(operator) | {"Idempotency-Key": "export-test"})  # fmt: skip
    assert created.status_code == 201, created.text
    return created.json(), {"first": first, "second": second}


async def test_the_bank_files_and_the_codes(client: httpx.AsyncClient, operator: str) -> None:
    batch, _ = await _batch(client, operator)
    url = f"/admin/v1/payout-batches/{batch['id']}"
    exported = await client.get(f"{url}/export/csv", headers=bearer(operator))
    assert exported.status_code == 200, exported.text
    assert exported.headers["content-type"].startswith("text/csv")
    assert 'filename="chi-tra-00001.csv"' in exported.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(exported.content.decode("utf-8"))))
    assert rows[0] == ["STT", "Số tài khoản người hưởng", "Tên người hưởng", "Mã ngân hàng (BIN)", "Ngân hàng hưởng",
                       "Số tiền", "Nội dung chuyển khoản"]  # fmt: skip
    by_account = {row[1]: row for row in rows[1:]}
    assert sorted(row[0] for row in rows[1:]) == ["1", "2"]
    assert by_account["0071000123456"][2:6] == ["NGUYEN VAN AN", "970436", "Vietcombank", "245760"]
    assert by_account["5100205123789"][2:6] == ["HOP TAC XA DUC HOA", "970405", "Agribank", "1000000"]
    assert {row[6] for row in rows[1:]} == {"CNS PO00001 00001", "CNS PO00001 00002"}
    first_export = (await client.get(url, headers=bearer(operator))).json()["exported_at"]
    assert first_export is not None
    again = await client.get(f"{url}/export/csv", headers=bearer(operator))
    assert again.content == exported.content
    assert (await client.get(url, headers=bearer(operator))).json()["exported_at"] == first_export
    assert len(await fetch("SELECT 1 FROM audit_event WHERE action = 'payout_batch.exported'")) == 1

    xlsx = await client.get(f"{url}/export/xlsx", headers=bearer(operator))
    assert xlsx.status_code == 200 and xlsx.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert (await client.get(f"{url}/export/xlsx", headers=bearer(operator))).content == xlsx.content
    workbook = load_workbook(io.BytesIO(xlsx.content))
    sheet = workbook["Chuyen tien"]
    values = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert values[0][1] == "Số tài khoản người hưởng"
    assert sorted((row[1], row[5]) for row in values[1:]) == [("0071000123456", 245_760), ("5100205123789", 1_000_000)]
    payloads = [row[3].value for row in workbook["VietQR"].iter_rows(min_row=2)]

    detail = (await client.get(url, headers=bearer(operator))).json()
    assert sorted(payloads) == sorted(line["vietqr"] for line in detail["lines"])
    for line in detail["lines"]:
        decoded = vietqr.decode(line["vietqr"])
        assert (decoded.bin, decoded.account, decoded.amount, decoded.purpose) == (
            line["bank_bin"], line["account_number"], line["amount"], line["reference"])  # fmt: skip
        image = await client.get(f"{url}/lines/{line['id']}/qr", headers=bearer(operator))
        assert image.status_code == 200 and image.headers["content-type"] == "image/png"
        assert image.content.startswith(b"\x89PNG\r\n\x1a\n")
    assert (await client.get(f"{url}/lines/pol_nope/qr", headers=bearer(operator))).status_code == 404
    assert (
        await client.get("/admin/v1/payout-batches/pob_nope/export/csv", headers=bearer(operator))
    ).status_code == 404


async def test_the_monthly_statement_balances_to_the_dong(client: httpx.AsyncClient, operator: str) -> None:
    batch, sellers = await _batch(client, operator)
    seller = sellers["first"]
    detail = (await client.get(f"/admin/v1/payout-batches/{batch['id']}", headers=bearer(operator))).json()
    line = next(line for line in detail["lines"] if line["seller_id"] == seller["seller"]["id"])
    with clock.frozen_at(START + timedelta(days=3)):
        paid = await client.post(f"/admin/v1/payout-batches/{batch['id']}/lines/{line['id']}/paid",
                                 json={"bank_reference": "FT26316999"}, headers=bearer(operator))  # fmt: skip
        assert paid.status_code == 200
        await sale(seller["seller"]["id"], 80_000)

    response = await client.get("/seller/v1/statements/2026-11/csv", headers=bearer(seller["session"]))
    assert response.status_code == 200, response.text
    text = response.content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0] == ["Sao kê tháng", "2026-11"]
    assert rows[2][1] == seller["seller"]["legal_name"]
    opening = next(row for row in rows if row[2:3] == ["opening"])
    closing = next(row for row in rows if row[2:3] == ["closing"])
    assert opening[5:] == ["0", "0", "0"]
    assert closing[5:] == ["0", "80000", "0"]  # 245,760 sold, reserved and paid out; 80,000 sold since
    kinds = [row[2] for row in rows if row[1:2] and row[1].startswith("lje_")]
    assert kinds == ["payment", "release", "payout_reserved", "payout_paid", "payment", "release"]
    assert any(row[2:3] == ["CNS PO00001 00001"] or "FT26316999" in row for row in rows)
    december = await client.get("/seller/v1/statements/2026-12/csv", headers=bearer(seller["session"]))
    december_rows = list(csv.reader(io.StringIO(december.content.decode("utf-8-sig"))))
    assert next(row for row in december_rows if row[2:3] == ["opening"])[5:] == ["0", "80000", "0"]

    document = await client.get("/seller/v1/statements/2026-11/pdf", headers=bearer(seller["session"]))
    assert document.status_code == 200 and document.headers["content-type"] == "application/pdf"
    extracted = "".join(page.extract_text() for page in PdfReader(io.BytesIO(document.content)).pages)
    for words in ("SAO KÊ TÀI KHOẢN NGƯỜI BÁN", seller["seller"]["legal_name"], "Số dư đầu kỳ", "Số dư cuối kỳ",
                  "Đã chuyển", "FT26316999", "80.000", "245.760"):  # fmt: skip
        assert words in extracted, words
    bad = await client.get("/seller/v1/statements/2026-13/csv", headers=bearer(seller["session"]))
    assert bad.status_code == 422 and bad.json()["errors"][0]["field"] == "month"
