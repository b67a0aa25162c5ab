"""The marketplace's one clock: instants in UTC, days on the Vietnamese calendar.

Every rule that speaks of a day (a certificate valid until a date, a harvest window, a return window, a remittance
date, a report day) is decided on the date in Asia/Ho_Chi_Minh (UTC+7, no daylight saving), never on the UTC date:
at 06:08 on 2 December in Vietnam it is still 1 December in UTC, and a certificate valid until 1 December has
expired. Storage stays UTC.

Code that decides such a rule reads `now()` or `today()` here and passes the value into its SQL as a parameter
(rather than PostgreSQL's `now()` or `current_date`), so that a test can set the clock with `frozen_at` or `travel`
and see the rule move. Instants that only order events or expire leases may keep using the database's `now()`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from time import time as wall_time
from zoneinfo import ZoneInfo

VIETNAM = ZoneInfo("Asia/Ho_Chi_Minh")

_settings: list[tuple[object, datetime | None, timedelta]] = []
"""Tests' settings of the clock, oldest first: (token, frozen instant or None, offset). Each block removes its own
entry when it ends, so blocks that end out of order (two tasks, or a test and a demo seed, setting the clock at
once) never leave the clock set: restoring "what it was before" would resurrect a block that had already ended."""
_frozen: datetime | None = None
_offset = timedelta(0)
_day: tuple[float, float, date] = (0.0, 0.0, date.min)
"""Today in Vietnam while the running clock is in [start, end) (POSIX seconds): `today()` is on every product
page, and a time-zone conversion costs a microsecond."""


def now() -> datetime:
    """The current instant, timezone-aware in UTC (as a test set it, if one did)."""
    if _frozen is not None:
        return _frozen
    return datetime.now(UTC) + _offset


def today() -> date:
    """Today's date in Vietnam."""
    global _day
    if _frozen is not None or _offset:
        return vietnamese_date(now())
    start, end, day = _day
    if start <= wall_time() < end:
        return day
    day = vietnamese_date(now())
    _day = (start_of_day(day).timestamp(), end_of_day(day).timestamp(), day)
    return day


def vietnamese_date(instant: datetime) -> date:
    """The Vietnamese calendar date of an aware instant."""
    if instant.tzinfo is None:
        raise ValueError("a naive datetime has no date in Vietnam: give it a timezone")
    return instant.astimezone(VIETNAM).date()


def start_of_day(day: date) -> datetime:
    """The UTC instant at which `day` begins in Vietnam (00:00 Vietnam time is 17:00 UTC the day before)."""
    return datetime.combine(day, time(0), VIETNAM).astimezone(UTC)


def end_of_day(day: date) -> datetime:
    """The UTC instant at which `day` ends in Vietnam (the start of the next day)."""
    return start_of_day(day + timedelta(days=1))


def _apply() -> None:
    """Recompute the clock from the blocks still open: the last freeze, moved by the travels opened after it."""
    global _frozen, _offset
    frozen: datetime | None = None
    offset = timedelta(0)
    for _token, instant, delta in _settings:
        if instant is not None:
            frozen, offset = instant, timedelta(0)
        else:
            offset += delta
    _frozen, _offset = (None, offset) if frozen is None else (frozen + offset, timedelta(0))


@contextmanager
def _setting(instant: datetime | None, delta: timedelta) -> Iterator[None]:
    token = object()
    _settings.append((token, instant, delta))
    _apply()
    try:
        yield
    finally:
        _settings[:] = [entry for entry in _settings if entry[0] is not token]
        _apply()


@contextmanager
def frozen_at(instant: datetime) -> Iterator[datetime]:
    """Tests: stop the clock at `instant` (aware) for the block."""
    if instant.tzinfo is None:
        raise ValueError("freeze the clock at an aware instant")
    with _setting(instant.astimezone(UTC), timedelta(0)):
        assert _frozen is not None
        yield _frozen


@contextmanager
def travel(delta: timedelta) -> Iterator[None]:
    """Tests: move the clock by `delta` for the block (it keeps running, or stays frozen, from there)."""
    with _setting(None, delta):
        yield
