"""Fixtures for the catalog and seller APIs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import httpx
import pytest

from market.catalog.categories import seed_categories
from market.core.outbox.tables import OutboxEvent
from market.settings import Settings
from market.worker import build_worker, load_handlers, make_queue
from tests.factories import api_key, operator_token, registered_seller
from tests.webhooks import dispatch, sink  # noqa: F401 - the webhook tests' fixtures (local sink, dispatchers)


@pytest.fixture
async def categories() -> None:
    await seed_categories()


@pytest.fixture
async def operator() -> str:
    return await operator_token()


@pytest.fixture
async def seller(client: httpx.AsyncClient, operator: str, categories: None) -> dict:
    """An approved seller with an API key carrying every scope: {"seller", "session", "key"}."""
    created = await registered_seller(client, approve_with=operator)
    created["key"] = await api_key(client, created["session"])
    return created


@pytest.fixture
async def worker(settings: Settings) -> AsyncIterator[Callable[[], Awaitable[None]]]:
    """A real worker (relay + SAQ) in this process; `await drain()` waits until every event is delivered."""
    queue = make_queue(settings)
    running = build_worker(settings, queue, load_handlers(), with_handoff=False)  # tests hand parcels over themselves
    task = asyncio.create_task(running.start())

    async def drain() -> None:
        for _ in range(400):
            if not await OutboxEvent.count().where(OutboxEvent.delivered_at.is_null()):
                return
            await asyncio.sleep(0.025)
        raise AssertionError("events were not delivered within 10 s")

    yield drain
    await running.stop()
    await task
    await queue.disconnect()
