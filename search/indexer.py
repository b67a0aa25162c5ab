"""Keeping the index in step with PostgreSQL through the `search_pending` table.

Event handlers (`search.handlers`) mark products pending in the transaction that delivers the event. One loop,
`IndexSync`, rewrites pending products from PostgreSQL's current state, then forgets the marks it has applied.
A mark is never lost: it is only deleted after Meilisearch has applied the batch, and only if it was not renewed
in the meantime; while Meilisearch or PostgreSQL is down the marks simply wait.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import structlog
from meilisearch_python_sdk import AsyncClient

from market.catalog.documents import product_ids_changing_with_the_calendar, product_ids_with_certifications_expiring
from market.core.db import in_transaction
from market.core.loops import PollingLoop
from search.index import ensure_index
from search.mapping import load_documents
from search.meili import index_exists, wait_succeeded
from search.synonyms import DEFAULT_SYNONYMS_PATH
from search.tables import SearchPending

log = structlog.get_logger(__name__)


# clock_timestamp(), not now(): now() is the start of the marking transaction, which may be earlier than a mark the
# indexer has already read; the renewed mark must compare greater than any mark read before it, so it survives.
_MARK = (
    "INSERT INTO search_pending (product_id, marked_at) SELECT id, clock_timestamp() FROM unnest({}::varchar[]) AS id "
    "ON CONFLICT (product_id) DO UPDATE "
    "SET marked_at = greatest(clock_timestamp(), search_pending.marked_at + interval '1 microsecond')"
)
# Half of each pass takes the newest marks, half the oldest: a change made now shows within one pass even behind a
# backlog (a bulk import, a catalog-wide change: 66,000 marks held a price change for minutes), and the backlog
# still drains at half the pace at least, oldest first.
_READ = (
    "(SELECT product_id, marked_at FROM search_pending ORDER BY marked_at DESC, product_id LIMIT {}) UNION "
    "(SELECT product_id, marked_at FROM search_pending ORDER BY marked_at, product_id LIMIT {}) "
    "ORDER BY marked_at, product_id"
)
_FORGET = (
    "DELETE FROM search_pending p USING unnest({}::varchar[], {}::timestamptz[]) AS applied(product_id, marked_at) "
    "WHERE p.product_id = applied.product_id AND p.marked_at <= applied.marked_at"
)


async def mark_pending(product_ids: list[str]) -> int:
    """Mark products whose search document must be rewritten (upserted, or deleted when no longer public).

    Runs in the caller's transaction when there is one (an event handler's, with its receipt), so the mark is
    committed or rolled back with it. Ids are sorted so that concurrent markers lock rows in the same order.

    Returns:
        How many distinct products were marked.
    """
    ids = sorted(set(product_ids))
    if ids:
        await SearchPending.raw(_MARK, ids).run()
    return len(ids)


async def pending_count() -> int:
    """How many products wait to be rewritten."""
    rows = await SearchPending.raw("SELECT count(*) AS n FROM search_pending").run()
    return int(rows[0]["n"])


async def read_pending(batch_size: int) -> list[dict[str, Any]]:
    """At most `batch_size` marks, `{product_id, marked_at}`: the newest half and the oldest half (all of them when
    fewer wait), oldest first; read without a lock or a transaction."""
    newest = batch_size // 2
    rows: list[dict[str, Any]] = await SearchPending.raw(_READ, newest, batch_size - newest).run()
    return rows


async def forget_applied(rows: list[dict[str, Any]]) -> None:
    """Delete the marks that were applied, unless renewed since they were read (those stay pending).

    A renewal still uncommitted holds the row's lock: the delete waits for it and then sees the newer mark.
    """
    if rows:
        await SearchPending.raw(_FORGET, [row["product_id"] for row in rows], [row["marked_at"] for row in rows]).run()


async def sync_once(
    meili: AsyncClient, uid: str, batch_size: int, *, synonyms_path: Path = DEFAULT_SYNONYMS_PATH
) -> int:
    """Rewrite one batch of pending products in the index; returns how many marks it handled (0 when idle).

    Reads a batch of marks (`read_pending`), builds the documents from PostgreSQL's current state, adds or replaces
    the public ones and deletes the others, waits for Meilisearch to apply both, then forgets the marks it read. If
    anything fails the marks stay and the next pass does the same work again, which is harmless (documents are
    replaced whole).
    When the index does not exist it is first created with its settings, so no document is ever indexed without
    its filters.

    Args:
        meili: the Meilisearch client.
        uid: the live index.
        batch_size: most marks handled in this pass.
        synonyms_path: the synonyms file, used only when the index has to be created.

    Raises:
        RuntimeError: when called inside a database transaction (never call Meilisearch with one open).
        Exception: whatever Meilisearch or PostgreSQL raise; nothing is forgotten then.
    """
    if in_transaction():
        raise RuntimeError("sync_once calls Meilisearch: it must not run inside a database transaction")
    rows = await read_pending(batch_size)
    if not rows:
        return 0
    ids = [row["product_id"] for row in rows]
    documents = await load_documents(ids)
    public = {document["id"] for document in documents}
    gone = [product_id for product_id in ids if product_id not in public]
    if not await index_exists(meili, uid):
        await ensure_index(meili, uid, synonyms_path)
    index = meili.index(uid)
    tasks = []
    if documents:
        tasks.append((await index.add_documents(documents, primary_key="id")).task_uid)
    if gone:
        tasks.append((await index.delete_documents(gone)).task_uid)
    for task_uid in tasks:
        await wait_succeeded(meili, task_uid)
    await forget_applied(rows)
    log.debug("search_synced", upserted=len(documents), deleted=len(gone))
    return len(rows)


async def drain(meili: AsyncClient, uid: str, batch_size: int, *, synonyms_path: Path = DEFAULT_SYNONYMS_PATH) -> int:
    """Run `sync_once` until nothing is pending; returns how many marks were handled."""
    handled = 0
    while done := await sync_once(meili, uid, batch_size, synonyms_path=synonyms_path):
        handled += done
    return handled


async def mark_expired_certifications(today: date) -> int:
    """Mark the products whose certification validity ended yesterday or ends today; returns how many.

    A certification valid until day D is shown through D and disappears on D + 1 (Vietnamese dates, as the
    documents read them); nothing else changes the product then, so no event marks it. A product marked while
    its certification is still valid is only rewritten unchanged, and the next runs mark it again.
    """
    ids = await product_ids_with_certifications_expiring(today - timedelta(days=1), today + timedelta(days=1))
    return await mark_pending(ids)


async def mark_calendar_changes(today: date) -> int:
    """Mark the products whose document changes with the Vietnamese date `today` (certificates that ended,
    pre-order windows that opened or closed: `product_ids_changing_with_the_calendar`); returns how many. The
    worker runs it hourly with `market.core.clock.today()`; a product marked again later in the day is only
    rewritten unchanged."""
    return await mark_pending(await product_ids_changing_with_the_calendar(today))


class IndexSync(PollingLoop):
    """The one loop that applies pending marks to the index, until stopped.

    Each pass re-reads the current state of the products from PostgreSQL and waits for Meilisearch to apply it
    before the next pass, and Meilisearch applies tasks in the order they were sent. So with a single loop a stale
    document can never overwrite a newer one: whatever was sent last was read last. Run exactly one per deployment
    (the worker does); two loops could interleave their reads and writes.

    The loop never dies on an outage: while Meilisearch or PostgreSQL is down it logs and backs off (up to 5 s),
    the marks stay in PostgreSQL, and once the service is back it drains them, so no change is missed.
    """

    def __init__(
        self,
        meili: AsyncClient,
        uid: str,
        batch_size: int = 200,
        poll_interval_s: float = 0.5,
        *,
        synonyms_path: Path = DEFAULT_SYNONYMS_PATH,
    ) -> None:
        """Build the loop.

        Args:
            meili: the Meilisearch client.
            uid: the live index (`search.index.index_uid(settings.meili_index_prefix)`).
            batch_size: marks handled per pass; a full batch is followed immediately by the next.
            poll_interval_s: pause between passes when nothing is pending.
            synonyms_path: the synonyms file, used only if the index has to be created.
        """

        async def step() -> int:
            return await sync_once(meili, uid, batch_size, synonyms_path=synonyms_path)

        super().__init__("search_sync", step, batch_size=batch_size, idle_s=poll_interval_s)
        self.uid = uid
