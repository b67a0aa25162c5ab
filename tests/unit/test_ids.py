"""Public ids are opaque, prefixed, unique and roughly time-ordered."""

from __future__ import annotations

import time

from market.core.ids import has_prefix, new_id


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
