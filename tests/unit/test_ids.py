"""Public ids are opaque, prefixed, unique and roughly time-ordered."""

from __future__ import annotations

import time
from collections import Counter

from market.core.ids import _ALPHABET, has_prefix, new_id, new_ids


def test_ids_carry_their_kind_and_are_unique() -> None:
    ids = {new_id("prd") for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(has_prefix(value, "prd") for value in ids)
    assert not has_prefix(next(iter(ids)), "ord")


def test_ids_sort_by_creation_time() -> None:
    first = new_id("evt")
    time.sleep(0.002)
    assert new_id("evt") > first


def test_malformed_ids_are_recognised() -> None:
    assert not has_prefix("prd_123", "prd")
    assert not has_prefix("prd_" + "I" * 26, "prd")


def test_batch_ids_are_ids_with_every_character_drawn_evenly() -> None:
    ids = new_ids("pol", 20_000)
    assert len(set(ids)) == 20_000 and all(has_prefix(value, "pol") for value in ids)
    assert len({value[4:14] for value in ids}) <= 2  # one millisecond (or the next) for the whole batch
    counts = Counter(char for value in ids for char in value[14:])  # 320,000 random characters
    assert set(counts) == set(_ALPHABET)
    expected = 320_000 / 32
    assert all(abs(count - expected) < 0.05 * expected for count in counts.values()), counts  # 5% is 5 sigma
