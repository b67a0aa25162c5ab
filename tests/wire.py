"""Counting what the app sends to PostgreSQL, on the wire (asyncpg's connection), for the tests that hold a
request to a number of statements."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest


def count_statements(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """From now on (until the test ends), the first keyword of every statement any connection sends (`SELECT`,
    `WITH`, ...), appended to the list returned."""
    sent: list[str] = []
    for name in ("fetch", "fetchrow", "fetchval", "execute", "executemany"):
        original = getattr(asyncpg.connection.Connection, name)

        def counting(original: Any = original) -> Any:
            async def call(self: Any, query: str, *args: Any, **kwargs: Any) -> Any:
                sent.append(query.split(None, 1)[0].upper())
                return await original(self, query, *args, **kwargs)

            return call

        monkeypatch.setattr(asyncpg.connection.Connection, name, counting())
    return sent
