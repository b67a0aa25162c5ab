"""VietQR payloads: the CRC, published payloads decoded, and every payload we encode decoded back."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.core import vietqr
from market.core.banks import bank, napas_banks

# Published payloads: a payOS checkout (MB Bank, 7,000 đ) and an invoice sample (Vietcombank, 1,943,000 đ).
PAYOS = ("00020101021238570010A000000727012700069704220113VQRQADAIJ55120208QRIBFTTA5303704540470005802VN62120808"
         "TL89 1006304E346")  # fmt: skip
INVOICE = ("00020101021238540010A00000072701240006970436011010234567890208QRIBFTTA5303704540719430005802VN62120808"
           "TT0000696304A8E5")  # fmt: skip


def test_crc_is_ccitt_false() -> None:
    assert vietqr.crc16(b"123456789") == "29B1"  # the catalogued check value of CRC-16/CCITT-FALSE


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (PAYOS, vietqr.Transfer(bin="970422", account="VQRQADAIJ5512", amount=7000, purpose="TL89 100")),
        (INVOICE, vietqr.Transfer(bin="970436", account="1023456789", amount=1943000, purpose="TT000069")),
    ],
)
def test_published_payloads_decode(payload: str, expected: vietqr.Transfer) -> None:
    assert vietqr.decode(payload) == expected


def test_we_encode_the_published_payloads_byte_for_byte() -> None:
    assert vietqr.encode(vietqr.decode(PAYOS)) == PAYOS
    assert vietqr.encode(vietqr.decode(INVOICE)) == INVOICE


def test_a_changed_character_fails_the_crc() -> None:
    with pytest.raises(vietqr.VietQRError, match="CRC"):
        vietqr.decode(INVOICE.replace("1943000", "1948000"))


def test_static_code_has_no_amount() -> None:
    payload = vietqr.encode(vietqr.Transfer(bin="970405", account="1234567890"))
    assert vietqr.fields(payload)["01"] == "11"
    assert "54" not in vietqr.fields(payload)


@pytest.mark.parametrize(
    "transfer",
    [
        vietqr.Transfer(bin="97040", account="1"),
        vietqr.Transfer(bin="970405", account="12-34"),
        vietqr.Transfer(bin="970405", account="1", amount=0),
        vietqr.Transfer(bin="970405", account="1", amount=1, purpose="đơn hàng"),
        vietqr.Transfer(bin="970405", account="1", amount=1, purpose="X" * 26),
    ],
)
def test_unencodable_transfers_are_refused(transfer: vietqr.Transfer) -> None:
    with pytest.raises(vietqr.VietQRError):
        vietqr.encode(transfer)


@given(
    bin_=st.sampled_from(sorted(napas_banks())),
    account=st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ", min_size=1, max_size=19),
    amount=st.none() | st.integers(1, 10**12),
    purpose=st.none()
    | st.text("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ ", min_size=1, max_size=25).map(str.strip).filter(bool),
)
def test_every_payload_we_make_decodes_to_what_we_asked(bin_: str, account: str, amount: int | None,
                                                        purpose: str | None) -> None:  # fmt: skip
    transfer = vietqr.Transfer(bin=bin_, account=account, amount=amount, purpose=purpose)
    assert vietqr.decode(vietqr.encode(transfer)) == transfer


def test_napas_list_has_the_big_four() -> None:
    names = {b: bank(b).short_name for b in ("970436", "970418", "970405", "970415")}  # type: ignore[union-attr]
    assert names == {"970436": "Vietcombank", "970418": "BIDV", "970405": "Agribank", "970415": "VietinBank"}
    assert all(len(b) == 6 and b.isdigit() for b in napas_banks())
    assert bank("000000") is None
