"""The rules the ZNS and SMS simulators enforce (Zalo's template rules and quota; Decree 91/2020), in-process."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest

from market.simulators import sms, zns

OK = {"order_code": "ord_01m8thgeehvg67brnw7r3ry7zh", "amount": "125.000 ₫"}


@pytest.fixture
def zalo() -> Iterator[zns.ZnsState]:
    zns.STATE.reset()
    yield zns.STATE
    zns.STATE.reset()


def send(body: dict[str, Any], token: str | None = None) -> dict[str, Any]:
    base = {"phone": "84912345678", "template_id": "310100", "template_data": OK, "tracking_id": None}
    return zns.send(zns.STATE.token if token is None else token, {**base, **body})


def test_zns_sends_an_approved_template_and_fills_it(zalo: zns.ZnsState) -> None:
    answer = send({})
    assert answer["error"] == 0 and answer["data"]["msg_id"]
    (message,) = zalo.messages
    assert OK["order_code"] in message["text"] and "<order_code>" not in message["text"]


@pytest.mark.parametrize(("body", "token", "error"), [
    ({}, "wrong-token", -124),
    ({"phone": "0912345678"}, None, -108),
    ({"template_id": "999999"}, None, -109),
    ({"template_id": "399999"}, None, -117),  # awaiting review: not approved
    ({"template_data": {}}, None, -111),
    ({"template_data": {"order_code": OK["order_code"]}}, None, -112),  # a required parameter missing
    ({"template_data": {**OK, "extra": "x"}}, None, -112),
    ({"template_data": {**OK, "amount": "1" * 21}}, None, -112),  # over max_length
    ({"template_data": {**OK, "amount": "https://x.vn"}}, None, -112),  # a link
    ({"template_data": {**OK, "amount": "xem cho.vn"}}, None, -112),
])  # fmt: skip
def test_zns_refuses_what_zalo_refuses(zalo: zns.ZnsState, body: dict[str, Any], token: str | None,
                                       error: int) -> None:  # fmt: skip
    assert send(body, token)["error"] == error
    assert zalo.messages == []


def test_zns_refuses_a_paragraph_over_400_characters(zalo: zns.ZnsState) -> None:
    zalo.templates["388888"] = {"template_id": "388888", "status": "ENABLE", "tag": "TRANSACTION",
                                "text": "A\n\n" + "x" * 390 + " <note>",
                                "params": [{"name": "note", "require": True, "max_length": 100}]}  # fmt: skip
    assert send({"template_id": "388888", "template_data": {"note": "ngắn"}})["error"] == 0
    assert send({"template_id": "388888", "template_data": {"note": "dài " * 5}})["error"] == -112


def test_zns_counts_a_daily_quota_and_a_repeated_tracking_id_is_free(zalo: zns.ZnsState) -> None:
    zalo.quota = 2
    first = send({"tracking_id": "ntf_1"})
    assert send({"tracking_id": "ntf_1"}) == first  # the same message again
    assert send({"tracking_id": "ntf_2"})["error"] == 0
    assert send({"tracking_id": "ntf_3"})["error"] == -144
    assert len(zalo.messages) == 2


@pytest.fixture
def carrier() -> Iterator[sms.SmsState]:
    sms.STATE.reset()
    yield sms.STATE
    sms.STATE.reset()


def submit(text: str, kind: str = "transactional", to: str = "84912345678", request_id: str | None = None,
           ) -> tuple[int, dict[str, Any]]:  # fmt: skip
    body = {"to": to, "text": text, "brandname": "CHONONGSAN", "type": kind, "request_id": request_id}
    return sms.submit(f"Bearer {sms.STATE.key}", body)


def test_sms_transactional_any_time_promotional_only_by_decree_91(carrier: sms.SmsState) -> None:
    carrier.now = datetime.fromisoformat("2026-12-02T23:30:00+07:00")
    assert submit("Don ord_1 da giao")[0] == 201  # transactional: no quiet hours
    assert submit("[QC] Giam 10%", "promotional") == (422, {"code": "quiet_hours"})
    carrier.now = datetime.fromisoformat("2026-12-02T06:59:00+07:00")
    assert submit("[QC] Giam 10%", "promotional")[0] == 422
    carrier.now = datetime.fromisoformat("2026-12-02T07:00:00+07:00")
    assert submit("Giam 10%", "promotional") == (400, {"code": "missing_qc_prefix"})
    assert [submit("[QC] Giam 10%", "promotional")[0] for _ in range(4)] == [201, 201, 201, 429]
    assert submit("[QC] Giam 10%", "promotional", to="84987654321")[0] == 201  # the cap is per number
    carrier.now = datetime.fromisoformat("2026-12-03T07:00:00+07:00")
    assert submit("[QC] Giam 10%", "promotional")[0] == 201  # a new Vietnamese day


def test_sms_checks_phone_length_key_and_repeats(carrier: sms.SmsState) -> None:
    assert submit("x", to="0912345678") == (400, {"code": "invalid_phone"})
    assert submit("x" * 613) == (400, {"code": "text_too_long"})
    assert submit("ư" * 269) == (400, {"code": "text_too_long"})
    assert submit("x" * 161)[1]["segments"] == 2
    assert sms.submit("Bearer nope", {"to": "84912345678", "text": "x"})[0] == 401
    first = submit("x", request_id="ntf_1")
    assert submit("x", request_id="ntf_1") == first and len(carrier.messages) == 2  # the 161 and this one
