"""The database engine, as the rest of the code sees it."""

from __future__ import annotations

from typing import Any

from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine


def engine() -> PostgresEngine:
    """The Piccolo engine configured in `market.piccolo_conf`."""
    found = engine_finder()
    if not isinstance(found, PostgresEngine):
        raise RuntimeError("market needs a PostgresEngine; check PICCOLO_CONF")
    return found


def transaction() -> Any:
    """An `async with` block in which every Piccolo query shares one transaction."""
    return engine().transaction()


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
