"""The suggestions index: the phrases that product names begin with, and the categories, each once.

Suggestions used to be answered from the products index, searching the names of 100,000 products: as costly for
Meilisearch as a search (a two-letter prefix matches tens of thousands of products to rank). Buyers typing "mãng c"
want to be offered "Mãng cầu", "Mãng cầu Bà Đen", "Mãng cầu Bà Đen loại 1": the phrases that names begin with.
So this index holds each leading phrase of the public products' names (their first one to `MAX_PHRASE_WORDS`
words) that at least `MIN_PRODUCTS` products share, with how many do, and each category that holds public
products. A phrase only one product has is that product's own name, which a search for the phrase finds; keeping
them would put one document per product back (real and generated catalogs name nearly every product
differently). On 100,000 generated products it is about 300 documents, so Meilisearch answers a suggestion in a
fraction of the products index's time.

Diacritics count as in a search: each text is indexed encoded (`text_vn`, typos off) and as written (`text`,
folded by Meilisearch), the words are rewritten as for a search and the synonyms are the products index's.

The index is rebuilt whole, by `market search reindex` after its swap and by the worker every
`SEARCH_SUGGEST_REFRESH_S` (300 s): each build stamps its documents with a generation and then deletes those of
older generations, so a phrase no product has any more goes, and a search never meets an empty index.
"""

from __future__ import annotations

import asyncio
import hashlib
import re
import time
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.models.settings import MeilisearchSettings, TypoTolerance

from market.catalog.documents import public_names
from market.core.db import in_transaction
from market.core.text import nfc
from search.index import STOP_WORDS, ensure_index
from search.meili import wait_succeeded
from search.vietnamese import encode_text

MAX_PHRASE_WORDS: Final = 8
MIN_PRODUCTS: Final = 2

SUGGEST_SETTINGS = MeilisearchSettings(
    searchable_attributes=["text_vn", "text"],
    filterable_attributes=["generation"],
    displayed_attributes=["kind", "text", "slug"],
    ranking_rules=["words", "typo", "kind_rank:asc", "proximity", "attribute", "exactness", "products:desc"],
    typo_tolerance=TypoTolerance(enabled=True, disable_on_attributes=["text_vn"], disable_on_numbers=True),
    stop_words=STOP_WORDS,
    facet_search=False,
)
"""Categories before queries (`kind_rank`), so any limit takes the first of one ranked list; `attribute` ranks a
match with the buyer's diacritics (`text_vn`) above a folded one; then the phrase that more products share first
("Mãng cầu Bà Đen" before "Mãng cầu Bà Đen loại 1")."""

_WORD = re.compile(r"[^\W_]+")


def suggest_uid(prefix: str) -> str:
    """The suggestions index of a deployment (`MEILI_INDEX_PREFIX` + "suggestions")."""
    return f"{prefix}suggestions"


@dataclass(frozen=True)
class Phrase:
    """A phrase that `products` names begin with, as most of them write it."""

    text: str
    products: int


def phrases(names: Iterable[str]) -> list[Phrase]:
    """The leading phrases (one to `MAX_PHRASE_WORDS` words, compared in lower case) shared by at least
    `MIN_PRODUCTS` of `names`, most shared first, leaving out those shorter than that always continued by the same
    word ("Mãng cầu Bà" when every such name goes on "Đen": it would only be half of the next suggestion)."""
    counts: Counter[str] = Counter()
    forms: Counter[tuple[str, str]] = Counter()  # (phrase, as written)
    for text, times in Counter(nfc(name) for name in names).items():
        lowered = text.lower()
        shown = text if len(lowered) == len(text) else lowered  # the slices below are of the lowered text
        key = ""
        for number, match in enumerate(_WORD.finditer(lowered), 1):
            key = f"{key} {match.group()}" if key else match.group()
            counts[key] += times
            forms[key, shown[: match.end()]] += times
            if number == MAX_PHRASE_WORDS:
                break
    widest_continuation: dict[str, int] = {}
    for key, products in counts.items():
        parent = key.rpartition(" ")[0]
        if parent and products > widest_continuation.get(parent, 0):
            widest_continuation[parent] = products
    kept = {key for key, products in counts.items()
            if products >= MIN_PRODUCTS and widest_continuation.get(key, 0) < products}  # fmt: skip
    best: dict[str, tuple[int, str]] = {}
    for (key, written), times in forms.items():
        if key in kept and times > best.get(key, (0, ""))[0]:
            best[key] = (times, written)
    ranked = sorted(best, key=lambda key: -counts[key])
    return [Phrase(best[key][1], counts[key]) for key in ranked]


def documents(rows: list[dict[str, Any]], generation: int) -> list[dict[str, Any]]:
    """The index's documents from `market.catalog.documents.public_names` rows."""
    found = [
        {"id": "c-" + row["slug"], "kind": "category", "text": row["text"], "slug": row["slug"],
         "products": row["products"]}
        for row in rows if row["kind"] == "category"
    ]  # fmt: skip
    categories = {row["text"].lower() for row in found}
    for phrase in phrases(row["text"] for row in rows if row["kind"] == "name"):
        if phrase.text.lower() in categories:
            continue  # "Mãng cầu" the category says it already
        key = hashlib.blake2b(phrase.text.lower().encode(), digest_size=12).hexdigest()
        found.append(
            {"id": "q-" + key, "kind": "query", "text": phrase.text, "slug": None, "products": phrase.products}
        )
    for document in found:
        document["text_vn"] = encode_text(document["text"])
        document["kind_rank"] = 0 if document["kind"] == "category" else 1
        document["generation"] = generation
    return found


async def build_suggestions(meili: AsyncClient, prefix: str, synonyms_path: Path) -> int:
    """Rebuild the suggestions index from the public products (creating it with its settings first); returns how
    many suggestions it holds.

    Raises:
        RuntimeError: inside a database transaction.
        search.meili.IndexingFailed: Meilisearch rejected the settings or the documents (the previous ones stay).
    """
    if in_transaction():
        raise RuntimeError("suggestions are built outside any database transaction")
    uid = suggest_uid(prefix)
    await ensure_index(meili, uid, synonyms_path, SUGGEST_SETTINGS)
    index = meili.index(uid)
    generation = time.time_ns() // 1000
    # about 2 s of CPU for 100,000 names: in a thread, so the worker's other loops keep their event loop
    found = await asyncio.to_thread(documents, await public_names(), generation)
    if found:
        await wait_succeeded(meili, (await index.add_documents(found, primary_key="id")).task_uid)
    await wait_succeeded(meili, (await index.delete_documents_by_filter(f"generation < {generation}")).task_uid)
    return len(found)
