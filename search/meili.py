"""Small helpers over the Meilisearch client: waiting for tasks, checking that an index exists."""

from __future__ import annotations

from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import MeilisearchApiError

TASK_TIMEOUT_MS = 120_000
"""How long to wait for one Meilisearch task; a batch of a thousand documents takes about a second."""


class IndexingFailed(RuntimeError):
    """Meilisearch processed a task and reports it failed (or canceled); carries its error."""


async def wait_succeeded(meili: AsyncClient, task_uid: int, *, timeout_ms: int | None = TASK_TIMEOUT_MS) -> None:
    """Wait for a task and raise unless it succeeded.

    Raises:
        IndexingFailed: the task failed or was canceled.
        MeilisearchCommunicationError: Meilisearch is unreachable.
        MeilisearchTimeoutError: the task did not finish within `timeout_ms`.
    """
    result = await meili.wait_for_task(task_uid, timeout_in_ms=timeout_ms, interval_in_ms=20)
    if result.status != "succeeded":
        raise IndexingFailed(f"Meilisearch task {task_uid} ({result.task_type}) {result.status}: {result.error}")


def is_index_not_found(error: MeilisearchApiError) -> bool:
    """True when Meilisearch answered that the index does not exist."""
    return error.code == "index_not_found"


async def index_exists(meili: AsyncClient, uid: str) -> bool:
    """True when the index exists (raises when Meilisearch cannot be reached)."""
    try:
        await meili.get_index(uid)
    except MeilisearchApiError as error:
        if is_index_not_found(error):
            return False
        raise
    return True
