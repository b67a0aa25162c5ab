"""The (created_at, id) cursor that the ledger, payouts, commission rules and webhook deliveries page by."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.core.pagination import InvalidCursor, decode_time_key, encode_cursor, time_key_cursor


@dataclass(frozen=True)
class Row:
    created_at: datetime
    id: str


@given(st.datetimes(timezones=st.just(UTC)), st.text(min_size=1, max_size=40))
def test_round_trip(at: datetime, key: str) -> None:
    assert decode_time_key(time_key_cursor(Row(at, key))) == (at, key)


def test_no_cursor_is_none() -> None:
    assert decode_time_key(None) is None


@pytest.mark.parametrize("cursor", ["%%%", encode_cursor("yesterday", "led_1"), encode_cursor("2026-12-01"),
                                    encode_cursor(1, 2, 3)])  # fmt: skip
def test_forged_cursor_is_invalid(cursor: str) -> None:
    with pytest.raises(InvalidCursor):
        decode_time_key(cursor)
