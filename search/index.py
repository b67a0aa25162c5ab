"""The products index: its name, its settings, and creating it with those settings before any document.

Settings are applied before documents because a settings change on a filled index makes Meilisearch re-index every
document, and because a document added to an index without settings would be searchable without its filters.
"""

from __future__ import annotations

from pathlib import Path

from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.models.settings import MeilisearchSettings, Pagination, TypoTolerance

from search.meili import TASK_TIMEOUT_MS, index_exists, wait_succeeded
from search.synonyms import load_synonyms

PRIMARY_KEY = "id"

ENCODED_ATTRIBUTES = ["category_vn", "name_vn", "labels_vn", "seller_vn", "province_vn", "category_names_vn"]
"""The words with diacritics encoded as letters (`search.vietnamese`); typos are off there, so "duwaqz" (dưa)
never matches "duwaqs" (dứa) as a one-letter typo."""

SEARCHABLE_ATTRIBUTES = [
    "category_vn",
    "category_name",
    "name_vn",
    "name",
    "labels_vn",
    "labels",
    "seller_vn",
    "seller_name",
    "province_vn",
    "province",
    "category_names_vn",
    "category_names",
    "description",
]
"""Most important first: Meilisearch's `attribute` rule ranks a match in the product's own category ("khóm" finds
fresh pineapple before dried pineapple, whose category is "Mứt và sấy"), then the name, above one in the seller's
name, the ancestor categories ("Gạo và ngũ cốc" holds the peanuts) or the description.
Each text comes encoded (`*_vn`) and as typed (Meilisearch folds it), the encoded one first: a word matched with
its diacritics (typed so, or through a synonym, which is always encoded) ranks above a folded match."""

FILTERABLE_ATTRIBUTES = [
    "category_path",
    "category",
    "category_slugs",
    "province_code",
    "certifications",
    "ocop_stars",
    "price_min",
    "price_max",
    "in_stock",
    "pre_order",
    "seller_id",
    "seller_slug",
    "storage",
]

SORTABLE_ATTRIBUTES = ["price_min", "created_at", "harvest_from"]

RANKING_RULES = [
    "sort",
    "words",
    "stock_rank:desc",
    "typo",
    "proximity",
    "attribute",
    "exactness",
    "ocop_stars:desc",
    "harvest_from:asc",
    "created_at:desc",
]
"""`sort` first: a buyer who asks for the cheapest gets the cheapest of the matches, not the most relevant first.
Without a sort the rule does nothing. Then `words` (a product matching more of the query's words first; with the
API's "all" matching strategy every hit matches them all), then what a buyer can have: in stock, then open for
pre-order, then neither (`stock_rank`). Then relevance (typos, proximity, attribute, exactness), then the data
signals as tie-breakers: more OCOP stars, the earliest coming harvest, the newest listing."""

STOP_WORDS = ["mua", "muaqz", "banqs", "caanqf"]
"""What buyers type around the product ("mua dưa hấu", "cần bán khóm"), raw and encoded."""

MAX_TOTAL_HITS = 100_000
"""The deepest page the API allows (page 1000 of 100) stays reachable."""

SETTINGS = MeilisearchSettings(
    searchable_attributes=SEARCHABLE_ATTRIBUTES,
    filterable_attributes=list(FILTERABLE_ATTRIBUTES),
    sortable_attributes=SORTABLE_ATTRIBUTES,
    displayed_attributes=["*"],
    ranking_rules=RANKING_RULES,
    typo_tolerance=TypoTolerance(enabled=True, disable_on_attributes=ENCODED_ATTRIBUTES, disable_on_numbers=True),
    stop_words=STOP_WORDS,
    pagination=Pagination(max_total_hits=MAX_TOTAL_HITS),
)
"""Every setting of the products index except synonyms, which come from the operators' file."""


def index_uid(prefix: str) -> str:
    """The live products index of a deployment (`MEILI_INDEX_PREFIX` + "products")."""
    return f"{prefix}products"


async def ensure_index(
    meili: AsyncClient, uid: str, synonyms_path: Path, settings: MeilisearchSettings = SETTINGS
) -> None:
    """Create the index (primary key `id`) when missing and apply every setting (the products index's unless
    `settings` names others, as the suggestions index does), synonyms included; waits until they are live.

    Safe to run again: unchanged settings make Meilisearch do nothing.

    Args:
        meili: the Meilisearch client.
        uid: the index to create or update.
        synonyms_path: the synonyms file (`search.synonyms.DEFAULT_SYNONYMS_PATH` unless operators keep their own).
        settings: the index's settings but its synonyms.

    Raises:
        search.synonyms.SynonymsFileError: the synonyms file is malformed (nothing is changed).
        search.meili.IndexingFailed: Meilisearch rejected the index or the settings.
    """
    synonyms, _ = load_synonyms(synonyms_path)
    if not await index_exists(meili, uid):
        # Waits for the creation task; losing a race with another creator is harmless (the index then exists).
        await meili.create_index(uid, PRIMARY_KEY, timeout_in_ms=TASK_TIMEOUT_MS)
    task = await meili.index(uid).update_settings(settings.model_copy(update={"synonyms": synonyms}))
    await wait_succeeded(meili, task.task_uid)
