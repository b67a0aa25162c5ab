"""A full rebuild beside the live index, swapped in atomically, without losing changes made meanwhile."""

from __future__ import annotations

import asyncio
from typing import Any

from meilisearch_python_sdk import AsyncClient

from market.catalog.tables import Variant
from market.settings import Settings
from search.index import FILTERABLE_ATTRIBUTES
from search.indexer import drain, mark_pending, pending_count
from search.query import parse_query
from search.reindex import reindex
from search.service import search_products
from search.suggest_index import suggest_uid
from search.synonyms import DEFAULT_SYNONYMS_PATH
from search.tables import SearchPending
from tests.search.factories import Catalog, product


async def run_indexes(meili: AsyncClient, prefix: str) -> list[str]:
    return sorted(index.uid for index in await meili.get_indexes(limit=1000) or [] if index.uid.startswith(prefix))


async def indexed_ids(meili: AsyncClient, uid: str) -> set[str]:
    documents = await meili.index(uid).get_documents(limit=1000, fields=["id"])
    return {document["id"] for document in documents.results}


async def test_reindex_replaces_the_live_index_atomically(
    meili: AsyncClient, uid: str, settings: Settings, catalog: Catalog
) -> None:
    live = meili.index(uid)
    await meili.wait_for_task((await live.delete_document(catalog.khom.id)).task_uid)
    await meili.wait_for_task((await live.add_documents([{"id": "prd_ghost", "name": "Sầu riêng ma"}])).task_uid)
    last_task = (await meili.get_tasks(index_ids=[uid])).results[0].uid
    calls: list[tuple[int, int]] = []

    result = await reindex(
        meili, settings.meili_index_prefix, DEFAULT_SYNONYMS_PATH, batch_size=4, progress=lambda *c: calls.append(c)
    )

    assert result.uid == uid
    assert result.built_uid.startswith(f"{uid}__")
    assert result.documents == 6
    assert calls == [(4, 6), (6, 6)]
    assert await indexed_ids(meili, uid) == set(catalog.ids)
    # the old documents' index is gone; the suggestions were rebuilt beside the live index
    assert await run_indexes(meili, settings.meili_index_prefix) == [uid, suggest_uid(settings.meili_index_prefix)]
    settings_now = await meili.index(uid).get_settings()
    assert set(settings_now.filterable_attributes or ()) == set(FILTERABLE_ATTRIBUTES)
    assert settings_now.synonyms and "lacqj" in settings_now.synonyms["ddaauqj phoongqj"]

    tasks = (await meili.get_tasks(index_ids=[uid, result.built_uid])).results  # newest first
    kinds = [task.task_type for task in reversed(tasks) if task.uid > last_task]
    assert kinds.index("settingsUpdate") < kinds.index("documentAdditionOrUpdate")
    swaps = [task for task in (await meili.get_tasks(types="indexSwap")).results if task.uid > last_task]
    assert [swap.status for swap in swaps] == ["succeeded"]


async def test_reindex_creates_the_live_index_when_there_is_none(
    meili: AsyncClient, uid: str, settings: Settings
) -> None:
    catalog = await Catalog().build()
    result = await reindex(meili, settings.meili_index_prefix, DEFAULT_SYNONYMS_PATH)
    assert result.documents == 6
    assert await indexed_ids(meili, uid) == set(catalog.ids)
    assert await run_indexes(meili, settings.meili_index_prefix) == [uid, suggest_uid(settings.meili_index_prefix)]


async def test_searches_keep_answering_while_the_index_is_rebuilt(
    meili: AsyncClient, uid: str, settings: Settings, catalog: Catalog
) -> None:
    extra = [await product(catalog.htx, catalog.nuts, f"Hạt điều Bình Phước {n}", price=200_000) for n in range(30)]
    await mark_pending([row.id for row in extra])
    await drain(meili, uid, 100)
    before = (await search_products(meili, uid, parse_query(q="hat dieu"))).total_hits
    assert before >= 30
    rebuilding = asyncio.create_task(reindex(meili, settings.meili_index_prefix, DEFAULT_SYNONYMS_PATH, batch_size=3))
    totals: list[int] = []
    while not rebuilding.done():
        totals.append((await search_products(meili, uid, parse_query(q="hat dieu"))).total_hits)
        await asyncio.sleep(0)
    await rebuilding
    assert len(totals) > 3
    assert set(totals) == {before}  # never an empty or half-built index


async def test_a_change_made_during_the_rebuild_is_marked_and_synced_after_the_swap(
    meili: AsyncClient, uid: str, settings: Settings, catalog: Catalog
) -> None:
    first = min(catalog.ids)  # read in the first batch, before the change
    changes: list[asyncio.Task[Any]] = []

    async def change_price() -> None:
        await Variant.raw("UPDATE variant SET price = 11000, updated_at = now() WHERE product = {}", first).run()

    def on_progress(done: int, total: int) -> None:
        if not changes:
            changes.append(asyncio.get_running_loop().create_task(change_price()))

    await reindex(meili, settings.meili_index_prefix, DEFAULT_SYNONYMS_PATH, batch_size=1, progress=on_progress)
    assert changes and changes[0].done()

    rows = await SearchPending.select(SearchPending.product_id).run()
    assert first in {row["product_id"] for row in rows}
    await drain(meili, uid, 100)
    assert await pending_count() == 0
    cheapest = (await search_products(meili, uid, parse_query(sort="price_asc"))).hits[0]
    assert (cheapest.id, cheapest.price_min) == (first, 11_000)
