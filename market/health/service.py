"""Readiness checks of the services the API depends on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from market.core.db import engine
from market.core.resources import Resources


@dataclass(frozen=True)
class DependencyStatus:
    """One dependency's state as seen by one check."""

    name: str
    up: bool
    latency_ms: float
    error: str | None = None


async def check_dependencies(resources: Resources) -> list[DependencyStatus]:
    """Check PostgreSQL, Redis and Meilisearch concurrently, each bounded by the dependency timeout."""
    timeout = resources.settings.dependency_timeout_s

    async def postgres() -> None:
        await engine().run_ddl("SELECT 1")

    async def redis() -> None:
        await resources.redis.ping()  # type: ignore[misc]  # redis-py types ping as sync-or-async

    async def meilisearch() -> None:
        health = await resources.meili.health()
        if health.status != "available":
            raise RuntimeError(f"status {health.status}")

    checks: dict[str, Callable[[], Awaitable[None]]] = {
        "postgres": postgres,
        "redis": redis,
        "meilisearch": meilisearch,
    }
    return list(await asyncio.gather(*(_timed(name, check, timeout) for name, check in checks.items())))


async def _timed(name: str, check: Callable[[], Awaitable[None]], limit_s: float) -> DependencyStatus:
    started = time.perf_counter()
    try:
        await asyncio.wait_for(check(), limit_s)
    except Exception as exc:  # any failure means "not ready", and is reported, never raised
        error = "timed out" if isinstance(exc, TimeoutError) else f"{type(exc).__name__}: {exc}"[:200]
        return DependencyStatus(name, False, _elapsed_ms(started), error)
    return DependencyStatus(name, True, _elapsed_ms(started))


def _elapsed_ms(started: float) -> float:
    return round((time.perf_counter() - started) * 1000, 2)
