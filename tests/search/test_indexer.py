"""The sync through `search_pending`: marks travel with their event's receipt and leave only once applied."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime, timedelta

import pytest
from meilisearch_python_sdk import AsyncClient

from market.catalog.events import PRODUCT_EVENTS, SELLER_EVENTS
from market.catalog.tables import Certification, Product, Variant
from market.core import clock
from market.core.db import transaction
from market.core.events import Event, HandlerRegistry, registry
from market.core.ids import new_id
from market.core.outbox.delivery import deliver
from market.sellers.tables import Seller
from search import handlers
from search.index import FILTERABLE_ATTRIBUTES
from search.indexer import (
    IndexSync,
    drain,
    forget_applied,
    mark_expired_certifications,
    mark_pending,
    pending_count,
    read_pending,
    sync_once,
)
from search.query import parse_query
from search.service import search_products
from search.tables import SearchPending
from tests.search.factories import Catalog, certification, product


async def pending_ids() -> set[str]:
    return {row["product_id"] for row in await SearchPending.select(SearchPending.product_id).run()}


async def found_ids(meili: AsyncClient, uid: str, **params: object) -> set[str]:
    result = await search_products(meili, uid, parse_query(**params))  # type: ignore[arg-type]
    return {hit.id for hit in result.hits}


SEARCH_HANDLERS = HandlerRegistry()
handlers.register(SEARCH_HANDLERS)


async def send(event_type: str, **payload: object) -> int:
    """Deliver an event to the search handlers (only), as the worker does."""
    return await deliver(SEARCH_HANDLERS, Event(id=new_id("evt"), type=event_type, payload=dict(payload)))


async def test_a_mark_commits_or_rolls_back_with_its_transaction() -> None:
    with pytest.raises(RuntimeError, match="boom"):
        async with transaction():
            await mark_pending(["prd_rolled_back"])
            raise RuntimeError("boom")
    async with transaction():
        await mark_pending(["prd_committed", "prd_committed"])
    assert await pending_ids() == {"prd_committed"}


async def test_a_product_marked_again_after_the_read_stays_pending() -> None:
    await mark_pending(["prd_a", "prd_b"])
    read = await read_pending(10)
    await mark_pending(["prd_a"])
    await forget_applied(read)
    assert await pending_ids() == {"prd_a"}


async def test_a_mark_made_now_is_read_in_the_next_pass_even_behind_a_backlog() -> None:
    backlog = [f"prd_backlog{n:05d}" for n in range(300)]
    await mark_pending(backlog)
    await mark_pending(["prd_changed_now"])
    rows = await read_pending(100)
    ids = [row["product_id"] for row in rows]
    assert len(ids) == 100 and "prd_changed_now" in ids  # FIFO alone read it after three passes
    assert ids[:50] == backlog[:50]  # the backlog still drains, oldest first
    assert [row["marked_at"] for row in rows] == sorted(row["marked_at"] for row in rows)
    await forget_applied(rows)
    assert await pending_count() == 201


async def test_a_mark_still_uncommitted_when_the_batch_is_forgotten_survives() -> None:
    await mark_pending(["prd_a"])
    read = await read_pending(10)
    marked, release = asyncio.Event(), asyncio.Event()

    async def mark_in_open_transaction() -> None:
        async with transaction():
            await mark_pending(["prd_a"])
            marked.set()
            await release.wait()

    marker = asyncio.create_task(mark_in_open_transaction())
    await marked.wait()
    forgetting = asyncio.create_task(forget_applied(read))
    await asyncio.sleep(0.2)
    assert not forgetting.done()  # waits for the renewal's row lock
    release.set()
    await marker
    await forgetting
    assert await pending_ids() == {"prd_a"}


async def test_sync_refuses_to_run_inside_a_transaction(meili: AsyncClient, uid: str) -> None:
    with pytest.raises(RuntimeError, match="transaction"):
        async with transaction():
            await sync_once(meili, uid, 10)


async def test_the_first_sync_creates_the_index_with_its_settings(meili: AsyncClient, uid: str) -> None:
    catalog = await Catalog().build()
    await mark_pending(catalog.ids)
    assert await sync_once(meili, uid, 100) == 6
    assert await pending_count() == 0
    settings = await meili.index(uid).get_settings()
    assert set(settings.filterable_attributes or ()) == set(FILTERABLE_ATTRIBUTES)
    assert await found_ids(meili, uid, certification=["organic"]) == {catalog.ca_phe.id}


async def test_handlers_mark_once_per_event_with_their_receipt(catalog: Catalog) -> None:
    event = Event(id=new_id("evt"), type="product.updated", payload={"product_id": catalog.khom.id})
    assert await deliver(SEARCH_HANDLERS, event) == 1
    assert await deliver(SEARCH_HANDLERS, event) == 0  # redelivered: the receipt is there, nothing runs
    assert await pending_ids() == {catalog.khom.id}
    assert await send("stock.updated", product_ids=[catalog.mang_cau.id, catalog.muoi_tom.id]) == 1
    assert await pending_ids() == {catalog.khom.id, catalog.mang_cau.id, catalog.muoi_tom.id}
    assert await send("product.updated", note="no product named") == 1
    assert len(await pending_ids()) == 3


def test_importing_the_module_registers_a_transactional_handler_per_event_type() -> None:
    for event_types, name in [
        (PRODUCT_EVENTS, "search.mark_product"),
        (SELLER_EVENTS, "search.mark_seller_products"),
    ]:
        for event_type in event_types:
            ours = [handler for handler in registry.handlers_for(event_type) if handler.name.startswith("search.")]
            assert [(handler.name, handler.transactional) for handler in ours] == [(name, True)]


async def test_a_price_change_is_searchable_after_its_event_and_a_sync(
    meili: AsyncClient, uid: str, catalog: Catalog
) -> None:
    assert catalog.khom.id not in await found_ids(meili, uid, price_min=100_000)
    await Variant.update({Variant.price: 150_000}).where(Variant.product == catalog.khom.id).run()
    assert catalog.khom.id not in await found_ids(meili, uid, price_min=100_000)  # not synced yet

    await send("variant.updated", product_id=catalog.khom.id, variant_id="var_x")
    assert await sync_once(meili, uid, 100) == 1

    assert catalog.khom.id in await found_ids(meili, uid, price_min=100_000)
    assert await pending_count() == 0


async def test_a_suspended_sellers_products_disappear_and_come_back_when_reinstated(
    meili: AsyncClient, uid: str, catalog: Catalog
) -> None:
    await Seller.update({Seller.status: "suspended"}).where(Seller.id == catalog.htx.id).run()
    await send("seller.suspended", seller_id=catalog.htx.id)
    await drain(meili, uid, 100)
    assert await found_ids(meili, uid) == {catalog.ca_phe.id}
    assert await found_ids(meili, uid, q="mang cau") == set()

    await Seller.update({Seller.status: "approved"}).where(Seller.id == catalog.htx.id).run()
    await send("seller.reinstated", seller_id=catalog.htx.id)
    await drain(meili, uid, 100)
    assert await found_ids(meili, uid) == set(catalog.ids)


async def test_an_archived_product_is_deleted_from_the_index(meili: AsyncClient, uid: str, catalog: Catalog) -> None:
    await Product.update({Product.status: "archived"}).where(Product.id == catalog.muoi_tom.id).run()
    await send("product.archived", product_id=catalog.muoi_tom.id)
    await drain(meili, uid, 100)
    assert catalog.muoi_tom.id not in await found_ids(meili, uid)
    documents = await meili.index(uid).get_documents(limit=100)
    assert catalog.muoi_tom.id not in {document["id"] for document in documents.results}


async def test_an_expired_certification_stops_matching_after_the_hourly_mark(
    meili: AsyncClient, uid: str, catalog: Catalog
) -> None:
    today = clock.today()
    expiring = await product(catalog.htx, catalog.tropical, "Bưởi da xanh VietGAP", price=60_000)
    await certification(expiring, "vietgap", valid_until=today + timedelta(days=10))
    await mark_pending([expiring.id])
    await drain(meili, uid, 100)
    assert expiring.id in await found_ids(meili, uid, certification=["vietgap"])

    # Time passes: the certificate's last valid day was yesterday. Nothing else happens to the product.
    await (
        Certification.update({Certification.valid_until: today - timedelta(days=1)})
        .where(Certification.product == expiring.id)
        .run()
    )
    assert expiring.id in await found_ids(meili, uid, certification=["vietgap"])

    assert await mark_expired_certifications(today) == 1
    await drain(meili, uid, 100)
    assert await found_ids(meili, uid, certification=["vietgap"]) == {catalog.mang_cau.id}
    assert expiring.id in await found_ids(meili, uid, q="buoi")  # still listed, only its certificate is gone


async def test_the_loop_applies_marks_until_stopped(meili: AsyncClient, uid: str, catalog: Catalog) -> None:
    sync = IndexSync(meili, uid, batch_size=2, poll_interval_s=0.05)
    running = asyncio.create_task(sync.run())
    try:
        added = [await product(catalog.farm, catalog.drinks, f"Trà Ô long Cầu Đất {n}", price=90_000) for n in range(5)]
        await mark_pending([row.id for row in added])
        for _ in range(200):
            if await pending_count() == 0 and {row.id for row in added} <= await found_ids(meili, uid, q="o long"):
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the loop did not apply the marks")
    finally:
        sync.stop()
        await asyncio.wait_for(running, 10)


async def test_certificates_and_pre_order_windows_end_on_the_vietnamese_date(
    meili: AsyncClient, uid: str, catalog: Catalog
) -> None:
    with clock.frozen_at(datetime(2026, 12, 1, 5, 0, tzinfo=UTC)):  # noon on 1 December in Vietnam
        certified = await product(catalog.htx, catalog.tropical, "Bưởi da xanh VietGAP", price=60_000)
        await certification(certified, "vietgap", valid_until=date(2026, 12, 1))
        season = await product(catalog.htx, catalog.tropical, "Mãng cầu vụ sớm", harvest_from=date(2026, 11, 20),
                               preorder_capacity=9)  # fmt: skip
        await Variant.update(
            {Variant.preorder_opens_on: date(2026, 11, 1), Variant.harvest_to: date(2026, 12, 1)}
        ).where(Variant.product == season.id)
        await mark_pending([certified.id, season.id])
        await drain(meili, uid, 100)
        assert certified.id in await found_ids(meili, uid, certification=["vietgap"])
        assert season.id in await found_ids(meili, uid, pre_order=True)

    with clock.frozen_at(datetime(2026, 12, 1, 23, 8, tzinfo=UTC)):  # 06:08 on 2 December in Vietnam
        from market.worker import mark_calendar_changes as hourly

        assert await hourly({"worker": None}) >= 2  # type: ignore[typeddict-item]  # the worker's cron marks both: nothing else happened to them
        await drain(meili, uid, 100)
        assert certified.id not in await found_ids(meili, uid, certification=["vietgap"])
        assert season.id not in await found_ids(meili, uid, pre_order=True)
        listed = await found_ids(meili, uid, q="buoi") | await found_ids(meili, uid, q="mang cau")
        assert {certified.id, season.id} <= listed  # still listed: only the certificate and the window are gone
    from search.indexer import mark_calendar_changes

    assert await mark_calendar_changes(date(2026, 12, 2)) >= 2
