"""The Vietnamese calendar: days change at 17:00 UTC, and tests can set the clock."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from market.core import clock


def test_the_day_changes_at_midnight_in_vietnam_not_in_utc() -> None:
    at = datetime(2026, 12, 1, 23, 8, tzinfo=UTC)  # 06:08 on 2 December in Vietnam
    assert at.date() == date(2026, 12, 1)
    assert clock.vietnamese_date(at) == date(2026, 12, 2)
    assert clock.vietnamese_date(datetime(2026, 12, 1, 16, 59, 59, tzinfo=UTC)) == date(2026, 12, 1)


def test_a_day_starts_and_ends_at_17_00_utc() -> None:
    assert clock.start_of_day(date(2026, 12, 2)) == datetime(2026, 12, 1, 17, 0, tzinfo=UTC)
    assert clock.end_of_day(date(2026, 12, 2)) == datetime(2026, 12, 2, 17, 0, tzinfo=UTC)


def test_a_naive_instant_has_no_vietnamese_date() -> None:
    with pytest.raises(ValueError, match="naive"):
        clock.vietnamese_date(datetime(2026, 12, 1, 12, 0))


def test_tests_freeze_and_move_the_clock() -> None:
    at = datetime(2026, 12, 1, 23, 8, tzinfo=UTC)
    with clock.frozen_at(at):
        assert clock.now() == at
        assert clock.today() == date(2026, 12, 2)
        with clock.travel(timedelta(days=3)):
            assert clock.today() == date(2026, 12, 5)
        assert clock.now() == at
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
    with clock.travel(timedelta(days=-1)):
        assert abs(clock.now() - (datetime.now(UTC) - timedelta(days=1))) < timedelta(seconds=5)


def test_the_running_clocks_day_is_remembered_between_its_bounds_only() -> None:
    """`today()` keeps the day and the UTC instants it starts and ends at; outside them, and whenever a test
    moved the clock, it converts again."""
    day = clock.today()
    start, end, remembered = clock._day
    assert remembered == day == clock.vietnamese_date(clock.now())
    assert start <= datetime.now(UTC).timestamp() < end
    assert clock.vietnamese_date(datetime.fromtimestamp(start, UTC)) == day
    assert clock.vietnamese_date(datetime.fromtimestamp(end - 0.001, UTC)) == day
    assert clock.vietnamese_date(datetime.fromtimestamp(end, UTC)) == day + timedelta(days=1)
    with clock.travel(timedelta(days=1)):
        assert clock.today() == day + timedelta(days=1)
    with clock.frozen_at(datetime(2026, 12, 1, 17, 0, tzinfo=UTC)):
        assert clock.today() == date(2026, 12, 2)
    assert clock.today() == day


def test_blocks_that_end_out_of_order_leave_the_clock_running() -> None:
    """Two tasks (or a test and the demo seed) set the clock at once and finish in the other order: nothing stays
    frozen or moved (restoring "what it was before" left the first block's instant frozen for good)."""
    first, second = (
        clock.frozen_at(datetime(2026, 11, 11, 3, tzinfo=UTC)),
        clock.frozen_at(datetime(2026, 11, 12, 3, tzinfo=UTC)),
    )
    moved = clock.travel(timedelta(days=2))
    first.__enter__()
    second.__enter__()
    moved.__enter__()
    assert clock.now() == datetime(2026, 11, 14, 3, tzinfo=UTC)
    first.__exit__(None, None, None)
    assert clock.now() == datetime(2026, 11, 14, 3, tzinfo=UTC)  # the second freeze, moved, still holds
    second.__exit__(None, None, None)
    moved.__exit__(None, None, None)
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)
