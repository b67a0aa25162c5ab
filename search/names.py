"""The suggestions index: one small document per distinct product or category name.

Suggestions search names only, so they get an index of their own holding each name once (100,000 products carry
a few thousand distinct names): Meilisearch completes a one-letter prefix over thousands of documents instead of
the whole catalog. `IndexSync` adds the names of every product it upserts; `market search reindex` rebuilds the
index from scratch and swaps it in, which also drops the names no product carries any more (until then a stale
name only suggests a search that finds nothing).
"""

from __future__ import annotations

import hashlib
import time
from typing import Any, Final

from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.models.settings import MeilisearchSettings, TypoTolerance

from search.meili import TASK_TIMEOUT_MS, index_exists, wait_succeeded
from search.vietnamese import encode_text

NAMES_SETTINGS: Final = MeilisearchSettings(
    searchable_attributes=["text_vn", "text"],
    displayed_attributes=["kind", "text", "slug"],
    filterable_attributes=[],
    ranking_rules=["words", "typo", "proximity", "attribute", "exactness", "kind_rank:asc", "text:asc"],
    typo_tolerance=TypoTolerance(enabled=True, disable_on_attributes=["text_vn"], disable_on_numbers=True),
)
"""Encoded text first, as in the products index (`search.vietnamese`); categories before products on a tie."""


def names_uid(products_uid: str) -> str:
    """The suggestions index of a products index."""
    return f"{products_uid}_names"


def name_documents(documents: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The distinct category and product names of some products' search documents."""
    found: dict[str, dict[str, Any]] = {}
    for document in documents:
        for kind, rank, text, slug in (
            ("category", 0, document.get("category_name"), document.get("category")),
            ("product", 1, document.get("name"), document.get("slug")),
        ):
            text = " ".join(str(text or "").split())
            if not text or not slug:
                continue
            key = hashlib.blake2b(f"{kind}:{text.lower()}".encode(), digest_size=12).hexdigest()
            found.setdefault(
                key,
                {"id": key, "kind": kind, "kind_rank": rank, "text": text, "text_vn": encode_text(text), "slug": slug},
            )
    return list(found.values())


async def ensure_names_index(meili: AsyncClient, uid: str) -> None:
    """Create the suggestions index with its settings when missing."""
    if not await index_exists(meili, uid):
        await meili.create_index(uid, "id", timeout_in_ms=TASK_TIMEOUT_MS)
        task = await meili.index(uid).update_settings(NAMES_SETTINGS)
        await wait_succeeded(meili, task.task_uid)


async def add_names(meili: AsyncClient, products_uid: str, documents: list[dict[str, Any]]) -> None:
    """Add the names of upserted products (already known names are rewritten unchanged); waits until applied."""
    names = name_documents(documents)
    if not names:
        return
    uid = names_uid(products_uid)
    await ensure_names_index(meili, uid)
    task = await meili.index(uid).add_documents(names, primary_key="id")
    await wait_succeeded(meili, task.task_uid)


async def rebuild_names(meili: AsyncClient, products_uid: str, names: list[dict[str, Any]]) -> None:
    """Build a fresh suggestions index from every public product's names and swap it in atomically."""
    live = names_uid(products_uid)
    built = f"{live}__{time.time_ns() // 1_000_000}"
    try:
        await ensure_names_index(meili, built)
        unique = list({name["id"]: name for name in names}.values())
        for start in range(0, len(unique), 5000):
            task = await meili.index(built).add_documents(unique[start : start + 5000], primary_key="id")
            await wait_succeeded(meili, task.task_uid)
        await ensure_names_index(meili, live)
        swap = await meili.swap_indexes([(live, built)])
        await wait_succeeded(meili, swap.task_uid)
    finally:
        await meili.delete_index_if_exists(built)
