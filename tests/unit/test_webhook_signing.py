"""The webhook signature header and the retry schedule, without I/O."""

from __future__ import annotations

import hashlib
import hmac
import random

from hypothesis import given
from hypothesis import strategies as st

from market.webhooks.sender import MAX_RETRY_S, backoff_s
from market.webhooks.signing import new_secret, signature_header


def test_the_header_carries_one_v1_per_secret_current_first() -> None:
    body, current, previous = b'{"id":"evt_1"}', new_secret(), new_secret()
    header = signature_header(body, 1764650000, [current, previous])
    t, first, second = header.split(",")
    assert t == "t=1764650000"
    for item, secret in ((first, current), (second, previous)):
        expected = hmac.new(secret.encode(), b"1764650000." + body, hashlib.sha256).hexdigest()
        assert item == f"v1={expected}"
    assert new_secret().startswith("whsec_") and new_secret() != new_secret()


@given(st.integers(min_value=1, max_value=60), st.integers(min_value=0, max_value=2**32))
def test_backoff_doubles_from_a_minute_to_six_hours_within_the_upper_half(failures: int, seed: int) -> None:
    step = min(60 * 2 ** (failures - 1), MAX_RETRY_S)
    delay = backoff_s(failures, random.Random(seed))
    assert step / 2 <= delay <= step
