"""Search fixtures: this run's Meilisearch indexes are deleted before every test."""

from __future__ import annotations

import pytest
from meilisearch_python_sdk import AsyncClient

from market.core.resources import Resources
from market.settings import Settings
from search.index import ensure_index, index_uid
from search.indexer import drain, mark_pending
from search.suggest_index import build_suggestions
from search.synonyms import DEFAULT_SYNONYMS_PATH
from tests.search.factories import Catalog


async def delete_run_indexes(meili: AsyncClient, prefix: str) -> None:
    for index in await meili.get_indexes(limit=1000) or []:
        if index.uid.startswith(prefix):
            await meili.delete_index_if_exists(index.uid)


@pytest.fixture(autouse=True)
async def clean_search_indexes(resources: Resources, settings: Settings) -> None:
    await delete_run_indexes(resources.meili, settings.meili_index_prefix)


@pytest.fixture
def meili(resources: Resources) -> AsyncClient:
    return resources.meili


@pytest.fixture
def uid(settings: Settings) -> str:
    return index_uid(settings.meili_index_prefix)


async def index_catalog(meili: AsyncClient, uid: str, catalog: Catalog) -> None:
    """Create the index, mark every catalog product, sync until nothing is pending and build the suggestions."""
    await ensure_index(meili, uid, DEFAULT_SYNONYMS_PATH)
    await mark_pending(catalog.ids)
    await drain(meili, uid, 100)
    await build_suggestions(meili, uid.removesuffix("products"), DEFAULT_SYNONYMS_PATH)


@pytest.fixture
async def catalog(meili: AsyncClient, uid: str) -> Catalog:
    built = await Catalog().build()
    await index_catalog(meili, uid, built)
    return built
