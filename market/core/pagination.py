"""Cursor pagination: `limit` (default 24, at most 100) and an opaque `cursor`.

A cursor is the keyset of the last row served (e.g. its creation time and id), encoded as URL-safe base64 JSON.
A cursor that does not decode is a 400 `invalid_cursor`, never a 500.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable
from datetime import datetime
from typing import Any, Generic, TypeVar

import msgspec

from market.core.errors import DomainError

DEFAULT_LIMIT = 24
MAX_LIMIT = 100
T = TypeVar("T")
U = TypeVar("U")


class InvalidCursor(DomainError):
    status = 400
    code = "invalid_cursor"


class Page(msgspec.Struct, Generic[T]):
    """`{"object": "list", "data": [...], "has_more": ..., "next_cursor": ...}`."""

    data: list[T]
    has_more: bool
    next_cursor: str | None
    object: str = "list"

    def map(self, fn: Callable[[T], U]) -> Page[U]:
        """The same page with `fn` applied to each item (rows to their API representation)."""
        return Page([fn(item) for item in self.data], self.has_more, self.next_cursor)


def encode_cursor(*values: Any) -> str:
    raw = json.dumps(list(values), separators=(",", ":"), default=str).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, arity: int) -> list[Any]:
    """The values `encode_cursor` packed; raises InvalidCursor on anything else."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise InvalidCursor("The cursor is not one this API issued.") from exc
    if not isinstance(values, list) or len(values) != arity:
        raise InvalidCursor("The cursor is not one this API issued.")
    return values


def page_of(rows: list[T], limit: int, cursor_of: Any) -> Page[T]:
    """Build a page from `limit + 1` fetched rows: the extra row only says there is more."""
    has_more = len(rows) > limit
    rows = rows[:limit]
    return Page(data=rows, has_more=has_more, next_cursor=cursor_of(rows[-1]) if has_more and rows else None)


def decode_position(cursor: str | None) -> int | None:
    """The integer keyset (a row's position) that `encode_cursor(position)` packed, None without a cursor; raises
    InvalidCursor on anything else."""
    if cursor is None:
        return None
    position = decode_cursor(cursor, 1)[0]
    if not isinstance(position, int) or isinstance(position, bool):
        raise InvalidCursor("The cursor is not one this API issued.")
    return position


def time_key_cursor(last: Any) -> str:
    """The cursor of the last row of a page kept in (created_at, id) order: `cursor_of` for `page_of`."""
    return encode_cursor(last.created_at.isoformat(), last.id)


def decode_time_key(cursor: str | None) -> tuple[datetime, str] | None:
    """The (created_at, id) keyset that `time_key_cursor` packed, None without a cursor; raises InvalidCursor on
    anything else."""
    if cursor is None:
        return None
    at, key = decode_cursor(cursor, 2)
    try:
        return datetime.fromisoformat(str(at)), str(key)
    except ValueError:
        raise InvalidCursor("The cursor is not one this API issued.") from None
