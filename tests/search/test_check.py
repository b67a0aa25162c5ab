"""The drift check compares the index with PostgreSQL by ids and hashes; --fix repairs what differs."""

from __future__ import annotations

from meilisearch_python_sdk import AsyncClient

from market.catalog.tables import Product, Variant
from market.settings import Settings
from search.check import check
from search.mapping import doc_hash, load_documents
from tests.search.factories import Catalog


async def test_an_index_in_step_reports_no_drift(meili: AsyncClient, settings: Settings, catalog: Catalog) -> None:
    report = await check(meili, settings.meili_index_prefix)
    assert report.in_sync
    assert (report.database_count, report.index_count) == (6, 6)
    assert report.database_checksum == report.index_checksum


async def test_drift_is_reported_and_fix_repairs_it(
    meili: AsyncClient, uid: str, settings: Settings, catalog: Catalog
) -> None:
    index = meili.index(uid)
    await meili.wait_for_task((await index.delete_document(catalog.khom.id)).task_uid)
    await meili.wait_for_task((await index.add_documents([{"id": "prd_ghost", "name": "Sầu riêng ma"}])).task_uid)
    await Product.update({Product.status: "archived"}).where(Product.id == catalog.muoi_tom.id).run()
    await Variant.update({Variant.price: 70_000}).where(Variant.product == catalog.dau_phong.id).run()

    found = await check(meili, settings.meili_index_prefix)
    assert not found.in_sync and not found.fixed
    assert found.missing == [catalog.khom.id]
    assert found.extra == sorted(["prd_ghost", catalog.muoi_tom.id])
    assert found.stale == [catalog.dau_phong.id]
    assert (found.database_count, found.index_count) == (5, 6)
    assert found.database_checksum != found.index_checksum

    repaired = await check(meili, settings.meili_index_prefix, fix=True)
    assert repaired.fixed
    again = await check(meili, settings.meili_index_prefix)
    assert again.in_sync
    assert again.database_checksum == again.index_checksum
    assert again.index_count == 5


async def test_the_hash_covers_the_whole_document(catalog: Catalog) -> None:
    (document,) = await load_documents([catalog.mang_cau.id])
    assert document["doc_hash"] == doc_hash(document)
    assert document["category_slugs"] == ["trai-cay", "trai-cay-nhiet-doi", "mang-cau"]
    assert doc_hash({**document, "price_min": 1}) != document["doc_hash"]
