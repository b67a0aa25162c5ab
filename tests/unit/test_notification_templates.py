"""Templates, channels' rules and delivery arithmetic of market.notifications, without I/O."""

from __future__ import annotations

import json
from datetime import UTC, datetime, time, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.core.clock import VIETNAM
from market.notifications.channels.sms import next_allowed
from market.notifications.delivery import MAX_BACKOFF_S, backoff_s
from market.notifications.kinds import KINDS
from market.notifications.render import render, sms_text
from market.notifications.service import mask, zalo_phone
from market.simulators.zns import TEMPLATES_FILE

SAMPLE = {"marketplace": "Chợ Nông Sản Tây Ninh", "order_code": "ord_01m8thgeehvg67brnw7r3ry7zh",
          "amount": "1.250.000 ₫", "link": "https://cho.example.vn/orders/ord_1", "shop_name": "HTX Bà Đen",
          "tracking_code": "EJ123456789VN", "reason": "Hàng dập", "method": "card", "accepted": True,
          "decision": "chấp nhận", "decision_ascii": "chap nhan", "pending_payment": True, "problem": "giao hỏng",
          "detail": "", "product_name": "Mãng cầu Bà Đen", "sku": "MC-1KG", "available": 4, "threshold": 5,
          "certification": "vietgap", "number": "VG-1", "valid_until": "01/01/2027", "reference": "PAYOUT 1",
          "endpoint_url": "https://hooks.htx.vn/x", "endpoint_host": "hooks.htx.vn", "title": "Mùa mãng cầu",
          "text": "Giảm 10%"}  # fmt: skip


@pytest.mark.parametrize("language", ["vi", "en"])
@pytest.mark.parametrize("kind", sorted(KINDS))
def test_every_kind_renders_in_both_languages(kind: str, language: str) -> None:
    rendered = render(kind, language, SAMPLE, "https://cho.example.vn/api/v1/unsubscribe?token=t")  # type: ignore[arg-type]
    assert rendered.subject and rendered.text and rendered.sms
    assert "{{" not in rendered.text + rendered.subject
    assert rendered.sms.isascii() and len(rendered.sms) <= 160
    assert "https://cho.example.vn/orders/ord_1" in rendered.html


def test_html_email_escapes_what_sellers_and_buyers_typed() -> None:
    rendered = render("seller_product_rejected", "vi", {**SAMPLE, "product_name": "<script>x</script>"})
    assert "<script>" not in rendered.html and "&lt;script&gt;" in rendered.html
    assert "<script>" in rendered.text  # plain text is not HTML


def test_a_bank_transfer_payment_says_so() -> None:
    assert "qua chuyển khoản" in render("payment_received", "vi", {**SAMPLE, "method": "bank_transfer"}).text
    assert "by bank transfer" in render("payment_received", "en", {**SAMPLE, "method": "bank_transfer"}).text


def test_sms_text_drops_diacritics() -> None:
    assert sms_text("Chợ Nông Sản Tây Ninh: đơn 125.000 ₫") == "Cho Nong San Tay Ninh: don 125.000 d"


def test_every_kind_has_an_approved_zns_template_with_its_parameters() -> None:
    templates = {t["template_id"]: t for t in json.loads(TEMPLATES_FILE.read_text())}
    for kind in KINDS.values():
        for language in ("vi", "en"):
            template = templates[kind.zns_template_id(language)]
            assert template["status"] == "ENABLE"
            assert [p["name"] for p in template["params"]] == list(kind.zns_params)
            assert "http" not in template["text"]


def test_phones_in_the_84_form_and_masked_addresses() -> None:
    assert zalo_phone("+84912345678") == zalo_phone("0912345678") == "84912345678"
    assert zalo_phone("+14155550100") is None and zalo_phone("12") is None and zalo_phone(None) is None
    assert mask("84912345678") == "84912***678" and mask("hoa@example.vn") == "h***@example.vn"


def test_twelve_attempts_outlast_a_provider_down_for_an_hour() -> None:
    least = sum(min(5.0 * 2 ** (n - 1), MAX_BACKOFF_S) * 0.75 for n in range(1, 12))
    assert least > 3600
    assert all(backoff_s(n) <= MAX_BACKOFF_S for n in range(1, 30))


@given(st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2030, 1, 1), timezones=st.just(UTC)))
def test_promotional_sms_go_only_between_7_and_22_in_vietnam(now: datetime) -> None:
    local = now.astimezone(VIETNAM)
    until = next_allowed(now)
    if time(7) <= local.time() < time(22):
        assert until is None
    else:
        assert until is not None and until > now and until - now <= timedelta(hours=9)
        assert until.astimezone(VIETNAM).time() == time(7)
