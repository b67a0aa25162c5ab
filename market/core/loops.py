"""A background loop that polls for work and survives the outages of what it polls."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

import structlog

log = structlog.get_logger(__name__)
MAX_BACKOFF_S = 5.0


class PollingLoop:
    """Runs `step` until stopped: again at once after a full batch, after `idle_s` when idle, and with a backoff
    (doubling up to 5 s) while `step` raises, because a dependency is down; it never dies of an outage."""

    def __init__(self, name: str, step: Callable[[], Awaitable[int]], *, batch_size: int, idle_s: float) -> None:
        self.name = name
        self.step = step
        self.batch_size = batch_size
        self.idle_s = idle_s
        self._stopped = asyncio.Event()

    async def run(self) -> None:
        """Loop until `stop()`."""
        delay = self.idle_s
        failing = False
        while not self._stopped.is_set():
            try:
                handled = await self.step()
            except Exception as exc:  # an outage must not end the loop
                failing = True
                delay = min(max(delay * 2, 0.5), MAX_BACKOFF_S)
                log.warning(f"{self.name}_failed", error=repr(exc), retry_in_s=delay)
            else:
                if failing:
                    log.info(f"{self.name}_recovered")
                    failing = False
                delay = 0 if handled >= self.batch_size else self.idle_s
            if delay:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopped.wait(), delay)

    def stop(self) -> None:
        """Finish after the current pass."""
        self._stopped.set()
