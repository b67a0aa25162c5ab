"""The database engine, as the rest of the code sees it."""

from __future__ import annotations

import contextlib
import functools
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine


@functools.cache
def engine() -> PostgresEngine:
    """The Piccolo engine configured in `market.piccolo_conf` (found once: Piccolo's finder re-imports the
    configuration module on every call)."""
    found = engine_finder()
    if not isinstance(found, PostgresEngine):
        raise RuntimeError("market needs a PostgresEngine; check PICCOLO_CONF")
    return found


@asynccontextmanager
async def transaction() -> AsyncIterator[Any]:
    """An `async with` block in which every query (Piccolo's and `fetch`'s) shares one transaction.

    Piccolo's own block, made safe for a connection that dies inside it: Piccolo 1.x rolls back in `__aexit__` and
    only then releases the connection and resets its context variable, so a rollback on a dead connection raised
    an InterfaceError that hid the real error (a 500 instead of a 503), leaked the pooled connection and left the
    dead transaction as the task's current one. Here a failed rollback is ignored (the server has already rolled
    back a transaction whose connection closed) and the connection is always released.
    """
    block: Any = engine().transaction()
    entered = await block.__aenter__()
    if block._parent is not None:  # nested: the outer block commits or rolls back
        yield entered
        return
    try:
        yield entered
        await block.commit()
    except BaseException as exc:
        if not block._committed:
            with contextlib.suppress(asyncpg.InterfaceError, asyncpg.PostgresConnectionError, OSError):
                await block.rollback()
        block._rolled_back = True
        await block.__aexit__(type(exc), exc, exc.__traceback__)
        raise
    await block.__aexit__(None, None, None)


def in_transaction() -> bool:
    """True inside `transaction()`."""
    return bool(engine().transaction_exists())


async def fetch(sql: str, *args: Any) -> list[Any]:
    """Run one SQL statement (asyncpg `$1` placeholders) on the current transaction's connection, else on a pooled
    one, and return its rows (asyncpg Records). For the hot paths: one round trip, none of the ORM's work."""
    db = engine()
    current = db.current_transaction.get()
    if current is not None:
        return list(await current.connection.fetch(sql, *args))
    if db.pool is None:
        connection = await db.get_new_connection()
        try:
            return list(await connection.fetch(sql, *args))
        finally:
            await connection.close()
    async with db.pool.acquire() as connection:
        return list(await connection.fetch(sql, *args))
