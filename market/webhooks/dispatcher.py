"""The worker's webhook loop: claims due deliveries and sends each in its own task, per-endpoint lanes apart.

Every endpoint has a lane of `per_endpoint` concurrent sends (an asyncio semaphore) and the loop claims nothing
more for an endpoint while its lane holds that many: a hanging endpoint ties up its own lane for at most the
timeout, never the loop or another endpoint's lane. `concurrency` bounds the sends in flight in the process.
Leases (in the database) make a delivery claimed by a worker that died come due again.
"""

from __future__ import annotations

import asyncio
import contextlib

import structlog

from market.core import clock
from market.core.loops import PollingLoop
from market.webhooks.sender import Sender, claim

log = structlog.get_logger(__name__)


class Dispatcher:
    """Claims and sends; `step()` is one pass of the polling loop."""

    def __init__(self, sender: Sender, *, concurrency: int, per_endpoint: int) -> None:
        self.sender = sender
        self.concurrency = concurrency
        self.per_endpoint = per_endpoint
        self.held: dict[str, int] = {}
        self.lanes: dict[str, asyncio.Semaphore] = {}
        self.tasks: set[asyncio.Task[None]] = set()

    @property
    def lease_s(self) -> float:
        """Long enough for a claimed delivery to wait for its lane and then time out."""
        return self.sender.timeout_s * 3 + 30

    async def step(self) -> int:
        """Claim what is due for the endpoints with room and start sending it; returns how many were claimed."""
        room = self.concurrency - len(self.tasks)
        if room <= 0:
            return 0
        full = [endpoint for endpoint, held in self.held.items() if held >= self.per_endpoint]
        claimed = await claim(clock.now(), self.lease_s, full, self.per_endpoint, room)
        for row in claimed:
            endpoint = row["endpoint"]
            self.held[endpoint] = self.held.get(endpoint, 0) + 1
            lane = self.lanes.setdefault(endpoint, asyncio.Semaphore(self.per_endpoint))
            task = asyncio.create_task(self._send(endpoint, lane, row["id"]))
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)
        return len(claimed)

    async def _send(self, endpoint: str, lane: asyncio.Semaphore, delivery_id: str) -> None:
        try:
            async with lane:
                await self.sender.attempt(delivery_id)
        except Exception as exc:  # a database outage: the lease runs out and the delivery comes due again
            log.warning("webhook_attempt_failed", delivery_id=delivery_id, error=repr(exc))
        finally:
            self.held[endpoint] -= 1
            if not self.held[endpoint]:
                del self.held[endpoint]
                self.lanes.pop(endpoint, None)

    async def drain(self) -> None:
        """Wait for every send in flight (tests, and shutdown)."""
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)

    async def run_due(self) -> int:
        """Tests and tools: claim and send until nothing is due; returns how many attempts were made."""
        total = 0
        while made := await self.step():
            total += made
            await self.drain()
        await self.drain()
        return total

    async def close(self, grace_s: float = 5.0) -> None:
        """Let sends in flight finish for `grace_s`, cancel the rest (their leases expire), close the client."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.drain(), grace_s)
        for task in list(self.tasks):
            task.cancel()
        await asyncio.gather(*list(self.tasks), return_exceptions=True)
        await self.sender.close()


class WebhookLoop(PollingLoop):
    """The polling loop around a `Dispatcher`, closing it when the loop ends."""

    def __init__(self, dispatcher: Dispatcher, idle_s: float = 0.2) -> None:
        super().__init__("webhook_sender", dispatcher.step, batch_size=dispatcher.concurrency, idle_s=idle_s)
        self.dispatcher = dispatcher

    async def run(self) -> None:
        try:
            await super().run()
        finally:
            await self.dispatcher.close()
