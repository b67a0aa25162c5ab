"""Creating the database and applying Piccolo migrations."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

import asyncpg


def _maintenance_url(database_url: str) -> tuple[str, str]:
    parts = urlsplit(database_url)
    name = parts.path.lstrip("/")
    if not name:
        raise ValueError("DATABASE_URL names no database")
    return urlunsplit(parts._replace(path="/postgres")), name


async def ensure_database(database_url: str) -> bool:
    """Create the database named in the URL when it does not exist; returns True when it was created."""
    maintenance, name = _maintenance_url(database_url)
    connection = await asyncpg.connect(maintenance, timeout=10)
    try:
        if await connection.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            return False
        await connection.execute(f'CREATE DATABASE "{name.replace(chr(34), "")}"')
        return True
    finally:
        await connection.close()


async def drop_database(database_url: str) -> None:
    """Drop the database named in the URL (tests use it on their throwaway database)."""
    maintenance, name = _maintenance_url(database_url)
    connection = await asyncpg.connect(maintenance, timeout=10)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name.replace(chr(34), "")}" WITH (FORCE)')
    finally:
        await connection.close()


async def migrate() -> None:
    """Apply every migration not yet applied.

    Raises:
        RuntimeError: with Piccolo's message when a migration fails (the database is left as it was before it).
    """
    from piccolo.apps.migrations.commands.forwards import run_forwards

    result = await run_forwards(app_name="market", migration_id="all")
    if not result.success:
        raise RuntimeError(f"migration failed: {result.message}")
