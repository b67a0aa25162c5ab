"""Rebuilding the products index from PostgreSQL without interrupting search.

A fresh index is built beside the live one and swapped with it atomically; searches keep answering from the live
uid all along. Changes made while it was being built went to the old index (or were read before they happened),
so afterwards every product changed since the rebuild began is marked pending and `IndexSync` rewrites it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import structlog
from meilisearch_python_sdk import AsyncClient

from market.catalog.documents import public_product_ids
from market.core.db import in_transaction
from search.index import ensure_index, index_uid
from search.indexer import mark_pending
from search.mapping import load_documents
from search.meili import index_exists, wait_succeeded
from search.suggest_index import build_suggestions
from search.tables import SearchPending

log = structlog.get_logger(__name__)

IN_FLIGHT_MARGIN = timedelta(minutes=5)
"""A write whose transaction began before the rebuild stamps `updated_at` with that earlier time (PostgreSQL's
`now()` is the transaction's start); looking this much further back catches it."""

_CHANGED_SINCE = """
SELECT id FROM product WHERE updated_at >= {}
UNION SELECT product FROM variant WHERE updated_at >= {}
UNION SELECT v.product FROM stock_level sl JOIN variant v ON v.id = sl.variant_id WHERE sl.updated_at >= {}
UNION SELECT p.id FROM product p JOIN seller s ON s.id = p.seller WHERE s.updated_at >= {}
"""


@dataclass(frozen=True)
class ReindexResult:
    """What a rebuild did."""

    uid: str
    """The live index, now holding the rebuilt documents."""
    built_uid: str
    """The uid the documents were built under (deleted after the swap, with the old documents)."""
    documents: int
    """Public products indexed."""
    marked_after_swap: int
    """Products changed during the rebuild, marked for `IndexSync`."""
    suggestions: int
    """Documents of the suggestions index, rebuilt last (`search.suggest_index`)."""
    duration_s: float


async def reindex(
    meili: AsyncClient,
    prefix: str,
    synonyms_path: Path,
    batch_size: int = 5000,
    progress: Callable[[int, int], None] | None = None,
) -> ReindexResult:
    """Rebuild the live index from every public product and swap it in atomically.

    Steps: create `{prefix}products__<unix ms>` with all settings (synonyms included) before any document; send
    the public products in batches; wait for every task; create an empty live index if there is none; swap the two
    (Meilisearch `swap_indexes`, atomic for searches); delete the old documents' index; mark pending every
    product whose product, variant, stock or seller row changed since the rebuild began; finally rebuild the
    suggestions index.

    Args:
        meili: the Meilisearch client.
        prefix: `MEILI_INDEX_PREFIX`.
        synonyms_path: the synonyms file to build the index with.
        batch_size: products read and sent per batch.
        progress: called with (products done, products total) after each batch.

    Raises:
        RuntimeError: inside a database transaction.
        search.meili.IndexingFailed: Meilisearch rejected a batch, the settings or the swap (the live index is
            left untouched and the half-built one is deleted).
    """
    if in_transaction():
        raise RuntimeError("reindex calls Meilisearch: it must not run inside a database transaction")
    started = time.monotonic()
    began_at = await _database_now()
    live = index_uid(prefix)
    built = f"{live}__{time.time_ns() // 1_000_000}"
    try:
        await ensure_index(meili, built, synonyms_path)
        documents = await _fill(meili, built, batch_size, progress)
        if not await index_exists(meili, live):
            await ensure_index(meili, live, synonyms_path)
        swap = await meili.swap_indexes([(live, built)])
        await wait_succeeded(meili, swap.task_uid)
    except BaseException:
        await _delete_quietly(meili, built)
        raise
    await _delete_quietly(meili, built)  # after the swap it holds the old documents
    marked = await mark_pending(await _changed_since(began_at - IN_FLIGHT_MARGIN))
    suggestions = await build_suggestions(meili, prefix, synonyms_path)
    result = ReindexResult(live, built, documents, marked, suggestions, round(time.monotonic() - started, 3))
    log.info("search_reindexed", uid=live, documents=documents, marked=marked, suggestions=suggestions,
             duration_s=result.duration_s)  # fmt: skip
    return result


async def _fill(meili: AsyncClient, uid: str, batch_size: int, progress: Callable[[int, int], None] | None) -> int:
    ids = await _all_public_ids(batch_size)
    index = meili.index(uid)
    tasks: list[int] = []
    indexed = 0
    for start in range(0, len(ids), batch_size):
        documents = await load_documents(ids[start : start + batch_size])
        if documents:
            tasks.append((await index.add_documents(documents, primary_key="id")).task_uid)
            indexed += len(documents)
        if progress:
            progress(min(start + batch_size, len(ids)), len(ids))
    for task_uid in tasks:
        await wait_succeeded(meili, task_uid)
    return indexed


async def _all_public_ids(page_size: int) -> list[str]:
    ids: list[str] = []
    while page := await public_product_ids(ids[-1] if ids else None, page_size):
        ids.extend(page)
    return ids


async def _database_now() -> datetime:
    rows = await SearchPending.raw("SELECT now() AS at").run()
    at: datetime = rows[0]["at"]
    return at


async def _changed_since(since: datetime) -> list[str]:
    rows = await SearchPending.raw(_CHANGED_SINCE, since, since, since, since).run()
    return [row["id"] for row in rows]


async def _delete_quietly(meili: AsyncClient, uid: str) -> None:
    try:
        await meili.delete_index_if_exists(uid)
    except Exception as exc:  # a leftover `products__<ms>` index is harmless; the live one is what matters
        log.warning("search_index_delete_failed", uid=uid, error=repr(exc))
