"""Meilisearch down: marks wait in PostgreSQL, the loop keeps running, and everything drains once it is back.

The test starts its own Meilisearch, so stopping it never disturbs the rest of the suite.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import structlog
from meilisearch_python_sdk import AsyncClient

from market.catalog.tables import Variant
from search.indexer import IndexSync, mark_pending, pending_count
from search.query import parse_query
from search.service import search_products
from search.tables import SearchPending
from tests.search.factories import Catalog
from tests.services import OwnMeilisearch


@pytest.fixture
async def own_client(own_meili: OwnMeilisearch) -> AsyncIterator[AsyncClient]:
    client = AsyncClient(own_meili.url, own_meili.master_key, timeout=2)
    yield client
    await client.aclose()


async def wait_until_drained(seconds: float) -> None:
    for _ in range(int(seconds / 0.05)):
        if await pending_count() == 0:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"still pending after {seconds} s")


async def test_pending_marks_survive_an_outage_and_drain_when_meilisearch_returns(
    own_meili: OwnMeilisearch, own_client: AsyncClient, uid: str
) -> None:
    catalog = await Catalog().build()
    sync = IndexSync(own_client, uid, batch_size=50, poll_interval_s=0.05)
    running = asyncio.create_task(sync.run())
    try:
        await mark_pending(catalog.ids[:3])
        await wait_until_drained(15)

        own_meili.stop()
        await Variant.update({Variant.price: 99_000}).where(Variant.product == catalog.khom.id).run()
        with structlog.testing.capture_logs() as logs:
            await mark_pending([catalog.khom.id, *catalog.ids[3:]])
            await asyncio.sleep(1.5)
        assert not running.done()
        assert any(entry["event"] == "search_sync_failed" for entry in logs)
        rows = await SearchPending.select(SearchPending.product_id).run()
        assert {row["product_id"] for row in rows} == {catalog.khom.id, *catalog.ids[3:]}

        own_meili.start()
        await wait_until_drained(15)  # the backoff is at most 5 s
        result = await search_products(own_client, uid, parse_query(page_size=100))
        assert {hit.id for hit in result.hits} == set(catalog.ids)
        khom = next(hit for hit in result.hits if hit.id == catalog.khom.id)
        assert khom.price_min == 99_000
    finally:
        sync.stop()
        await asyncio.wait_for(running, 15)
