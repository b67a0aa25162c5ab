"""Comparing the index with PostgreSQL, and repairing the difference.

Every indexed document carries `doc_hash`, the hash of its content; the check rebuilds each public product's
document from PostgreSQL and compares ids and hashes. Products still waiting in `search_pending` may show as
drift for a moment: that is the sync's normal delay, reported as `pending`.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import MeilisearchApiError

from market.catalog.documents import public_product_ids
from market.core.db import in_transaction
from search.index import index_uid
from search.indexer import drain, mark_pending, pending_count
from search.mapping import load_documents
from search.meili import is_index_not_found, wait_succeeded
from search.synonyms import DEFAULT_SYNONYMS_PATH


@dataclass(frozen=True)
class DriftReport:
    """How the index differs from PostgreSQL's public products."""

    uid: str
    database_count: int
    index_count: int
    database_checksum: str
    """SHA-256 over the sorted "id:doc_hash" lines of PostgreSQL's documents."""
    index_checksum: str
    """The same over the index's documents; equal checksums mean equal contents."""
    missing: list[str] = field(default_factory=list)
    """Public products absent from the index."""
    extra: list[str] = field(default_factory=list)
    """Indexed documents that are not public products (any more)."""
    stale: list[str] = field(default_factory=list)
    """Indexed documents whose content differs from PostgreSQL's."""
    pending: int = 0
    """Products waiting for the sync when the check ran."""
    fixed: bool = False
    """True when the drift found was repaired (the lists describe what was found before)."""

    @property
    def in_sync(self) -> bool:
        """No missing, extra or stale document."""
        return not (self.missing or self.extra or self.stale)


def checksum(hashes: dict[str, str]) -> str:
    """SHA-256 of the sorted "id:doc_hash" lines."""
    digest = hashlib.sha256()
    for product_id in sorted(hashes):
        digest.update(f"{product_id}:{hashes[product_id]}\n".encode())
    return digest.hexdigest()


async def check(
    meili: AsyncClient,
    prefix: str,
    fix: bool = False,
    *,
    batch_size: int = 1000,
    synonyms_path: Path = DEFAULT_SYNONYMS_PATH,
) -> DriftReport:
    """Compare PostgreSQL's public documents with the live index; with `fix`, repair what differs.

    The repair deletes the extra documents, marks missing and stale products pending and runs the sync until
    nothing is pending (so run it while the worker's `IndexSync` is stopped, or accept that both drain).

    Args:
        meili: the Meilisearch client.
        prefix: `MEILI_INDEX_PREFIX`.
        fix: repair the drift found.
        batch_size: documents read per request, and marks per sync pass.
        synonyms_path: the synonyms file, used if the repair has to create the index.

    Raises:
        RuntimeError: inside a database transaction.
    """
    if in_transaction():
        raise RuntimeError("check calls Meilisearch: it must not run inside a database transaction")
    uid = index_uid(prefix)
    expected = await _database_hashes(batch_size)
    actual = await _index_hashes(meili, uid, batch_size)
    missing = sorted(expected.keys() - actual.keys())
    extra = sorted(actual.keys() - expected.keys())
    stale = sorted(key for key in expected.keys() & actual.keys() if expected[key] != actual[key])
    pending = await pending_count()
    if fix and (missing or extra or stale):
        if extra:
            task = await meili.index(uid).delete_documents(extra)
            await wait_succeeded(meili, task.task_uid)
        await mark_pending(missing + stale)
        await drain(meili, uid, batch_size, synonyms_path=synonyms_path)
    return DriftReport(
        uid=uid,
        database_count=len(expected),
        index_count=len(actual),
        database_checksum=checksum(expected),
        index_checksum=checksum(actual),
        missing=missing,
        extra=extra,
        stale=stale,
        pending=pending,
        fixed=fix and bool(missing or extra or stale),
    )


async def _database_hashes(batch_size: int) -> dict[str, str]:
    hashes: dict[str, str] = {}
    after: str | None = None
    while ids := await public_product_ids(after, batch_size):
        after = ids[-1]
        hashes.update((document["id"], document["doc_hash"]) for document in await load_documents(ids))
    return hashes


async def _index_hashes(meili: AsyncClient, uid: str, batch_size: int) -> dict[str, str]:
    index = meili.index(uid)
    hashes: dict[str, str] = {}
    offset = 0
    while True:
        try:
            page = await index.get_documents(offset=offset, limit=batch_size, fields=["id", "doc_hash"])
        except MeilisearchApiError as error:
            if is_index_not_found(error):
                return {}
            raise
        hashes.update((str(document["id"]), str(document.get("doc_hash", ""))) for document in page.results)
        offset += len(page.results)
        if not page.results or offset >= page.total:
            return hashes
