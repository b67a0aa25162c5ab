"""The connections a process holds: PostgreSQL pool, Redis client, Meilisearch client.

Opening never fails because a service is down: the pool connects lazily (min size 0), Redis and Meilisearch
clients connect on first use. A request that needs a service that is down gets a 503 quickly (short connect
timeouts, no long retry loops) and the same clients recover on their own when the service returns.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable
from dataclasses import dataclass, field
from typing import Any

import structlog
from meilisearch_python_sdk import AsyncClient as MeiliClient
from meilisearch_python_sdk.json_handler import OrjsonHandler
from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from market.core.db import engine
from market.settings import Settings

log = structlog.get_logger(__name__)


def redis_client(settings: Settings) -> Redis:
    """A Redis client that fails fast when Redis is down and reconnects by itself when it returns."""
    timeout = settings.dependency_timeout_s
    return Redis.from_url(
        settings.redis_url,
        decode_responses=True,
        socket_connect_timeout=timeout,
        socket_timeout=timeout,
        retry=Retry(NoBackoff(), retries=1),
        health_check_interval=30,
    )


def meili_client(settings: Settings) -> MeiliClient:
    """A Meilisearch client with the configured key and a short timeout."""
    return MeiliClient(
        settings.meili_url,
        settings.meili_master_key,
        timeout=max(1, int(settings.dependency_timeout_s * 5)),
        json_handler=OrjsonHandler(),  # serialising 100,000 documents with the stdlib json costs seconds
    )


async def keep_session(connection: Any) -> None:
    """The pool's reset on release, after asyncpg's own rollback of any open transaction: nothing more.

    asyncpg's default also sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL` on every
    release, a round trip as long as most of our queries; the code never takes advisory locks, LISTENs, holds
    cursors or SETs session state on pooled connections, so it would reset nothing.
    """


@dataclass
class Resources:
    """Everything a request or a job may need besides its arguments."""

    settings: Settings
    redis: Redis
    meili: MeiliClient
    owns_pool: bool = False
    started_at: float = field(default_factory=time.monotonic)

    @classmethod
    async def open(cls, settings: Settings) -> Resources:
        """Open the pool (unless this process already has one) and the clients; no service has to be up."""
        db = engine()
        owns_pool = db.pool is None
        if owns_pool:
            await db.start_connection_pool(
                min_size=0,
                max_size=settings.db_pool_max,
                timeout=settings.dependency_timeout_s,
                command_timeout=30,
                max_inactive_connection_lifetime=300,
                reset=keep_session,
            )
        resources = cls(settings, redis_client(settings), meili_client(settings), owns_pool=owns_pool)
        _opened.append(resources)
        return resources

    async def close(self) -> None:
        """Close what `open` opened; errors on the way out are logged, never raised."""
        if self in _opened:
            _opened.remove(self)
        closing_all: list[tuple[str, Awaitable[None]]] = [
            ("redis", self.redis.aclose()),
            ("meilisearch", self.meili.aclose()),
        ]
        if self.owns_pool:
            closing_all.append(("postgres", engine().close_connection_pool()))
        for name, closing in closing_all:
            try:
                await asyncio.wait_for(closing, timeout=5)
            except Exception as exc:  # a dependency already gone must not block shutdown
                log.warning("close_failed", dependency=name, error=str(exc))


_opened: list[Resources] = []


def current() -> Resources:
    """The resources this process opened last (event handlers in the worker reach Redis and Meilisearch here)."""
    if not _opened:
        raise RuntimeError("no Resources are open in this process")
    return _opened[-1]
