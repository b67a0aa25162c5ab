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
