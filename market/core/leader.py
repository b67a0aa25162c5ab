"""Run a loop in one process of a deployment only, elected through a Redis key with a lease."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Callable

import structlog
from redis.asyncio import Redis

from market.core.loops import PollingLoop

log = structlog.get_logger(__name__)

_RENEW = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('EXPIRE', KEYS[1], ARGV[2]) else return 0 end
"""
_RELEASE = "if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) else return 0 end"


class LeaderOnly:
    """Holds a lease on `key` and runs a fresh loop from `make_loop` while it holds it.

    The lease is renewed every third of its lifetime; when renewal fails (Redis down, lease lost) the loop is
    stopped before the lease can expire, so two processes never run it at once. Another process takes over within
    one lease after this one dies.
    """

    def __init__(self, redis: Redis, key: str, make_loop: Callable[[], PollingLoop], *, lease_s: int = 15) -> None:
        self.redis = redis
        self.key = key
        self.make_loop = make_loop
        self.lease_s = lease_s
        self.token = secrets.token_hex(8)
        self._stopped = asyncio.Event()

    async def run(self) -> None:
        while not self._stopped.is_set():
            if await self._try(self.redis.set(self.key, self.token, nx=True, ex=self.lease_s)):
                await self._lead()
            await self._sleep(self.lease_s / 3)

    async def _lead(self) -> None:
        loop = self.make_loop()
        task = asyncio.create_task(loop.run())
        log.info("leader_elected", key=self.key)
        try:
            while not self._stopped.is_set() and not task.done():
                await self._sleep(self.lease_s / 3)
                renew = self.redis.eval(_RENEW, 1, self.key, self.token, str(self.lease_s))
                if not await self._try(renew):
                    log.warning("leader_lease_lost", key=self.key)
                    break
        finally:
            loop.stop()
            await task
            await self._try(self.redis.eval(_RELEASE, 1, self.key, self.token))

    async def _try(self, command: object) -> bool:
        try:
            return bool(await command)  # type: ignore[misc]
        except Exception as exc:  # Redis down: not leader (any more)
            log.warning("leader_redis_unavailable", key=self.key, error=repr(exc))
            return False

    async def _sleep(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopped.wait(), seconds)

    def stop(self) -> None:
        self._stopped.set()
