"""The suggestions index: the phrases names begin with (shared ones, whole), categories, diacritics that count, and
a rebuild that drops what no product says any more."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any

import msgspec
from meilisearch_python_sdk import AsyncClient

from market.catalog.tables import Product
from market.settings import Settings
from market.worker import suggestions_refresh
from search.suggest import suggest_bytes
from search.suggest_index import MAX_PHRASE_WORDS, build_suggestions, documents, phrases, suggest_uid
from search.synonyms import DEFAULT_SYNONYMS_PATH
from tests.search.factories import category, product, seller


def test_phrases_are_the_shared_beginnings_of_names_whole_and_as_most_write_them() -> None:
    found = phrases([
        "Mãng cầu Bà Đen loại 1", "mãng cầu bà đen hộp quà", "Mãng cầu Bà Đen loại 1", "Mãng cầu dai", "Khóm",
    ])  # fmt: skip
    assert [(phrase.text, phrase.products) for phrase in found] == [
        ("Mãng cầu", 4),  # "Mãng" alone is always continued by "cầu": half a suggestion, left out
        ("Mãng cầu Bà Đen", 3),  # so are "Mãng cầu Bà" (always "Đen")
        ("Mãng cầu Bà Đen loại 1", 2),  # "Mãng cầu dai", "Khóm" and the gift box: one product each
    ]


def test_a_phrase_is_at_most_max_words_long() -> None:
    long_name = " ".join(f"w{n}" for n in range(MAX_PHRASE_WORDS + 3))
    found = phrases([long_name + " a", long_name + " b"])
    assert [phrase.text for phrase in found] == [" ".join(long_name.split()[:MAX_PHRASE_WORDS])]


def test_documents_encode_diacritics_and_leave_out_a_phrase_a_category_already_says() -> None:
    rows: list[dict[str, Any]] = [
        {"kind": "category", "text": "Mãng cầu", "slug": "mang-cau", "products": 2},
        {"kind": "name", "text": "Mãng cầu", "slug": None, "products": 1},
        {"kind": "name", "text": "Mãng cầu Bà Đen", "slug": None, "products": 1},
    ]
    built = documents(rows, generation=7)
    assert [(doc["kind"], doc["text"], doc["text_vn"], doc["generation"]) for doc in built] == [
        ("category", "Mãng cầu", "mangqx caauqf", 7),
    ]  # "Mãng cầu" is the category's; "Mãng cầu Bà Đen" is one product's
    again = documents([*rows, {"kind": "name", "text": "Mãng cầu Bà Đen", "slug": None, "products": 1}], 8)
    assert [doc["text"] for doc in again] == ["Mãng cầu", "Mãng cầu Bà Đen"]
    assert again[1]["id"] == documents(rows[:1] + rows[2:] * 2, 9)[1]["id"]  # the same phrase, the same document


def texts(answer: bytes) -> list[str]:
    return [item["text"] for item in msgspec.json.decode(answer)["suggestions"]]


async def test_suggestions_keep_the_diacritics_typed_and_a_rebuild_drops_what_is_gone(
    meili: AsyncClient, settings: Settings
) -> None:
    owner, fruit = await seller("Vườn Zôzô"), await category("Trái cây Zôzô")
    made = [await product(owner, fruit, name) for name in (
        "Dưa hấu Zôzô đỏ", "Dưa hấu Zôzô vàng", "Dứa Zôzô mật", "Dứa Zôzô sấy", "Dừa Zôzô xiêm", "Dừa Zôzô sáp",
    )]  # fmt: skip
    assert await build_suggestions(meili, settings.meili_index_prefix, DEFAULT_SYNONYMS_PATH) > 0
    uid = suggest_uid(settings.meili_index_prefix)
    assert texts(await suggest_bytes(meili, uid, "dưa hấu zôzô", 8, None)) == ["Dưa hấu Zôzô"]
    assert texts(await suggest_bytes(meili, uid, "dứa zôzô", 8, None)) == ["Dứa Zôzô"]  # not dưa nor dừa
    assert texts(await suggest_bytes(meili, uid, "dưa hấu zô", 8, None)) == ["Dưa hấu Zôzô"]  # "zô" goes on
    assert texts(await suggest_bytes(meili, uid, "dứa zôzô mậ", 8, None)) == []  # one product: its own name
    assert set(texts(await suggest_bytes(meili, uid, "dua zoz", 8, None))) == {"Dưa hấu Zôzô", "Dứa Zôzô", "Dừa Zôzô"}
    assert texts(await suggest_bytes(meili, uid, "sầu riêng zôzô", 8, None)) == []

    await Product.update({Product.status: "archived"}).where(Product.id.is_in([made[4].id, made[5].id])).run()
    await build_suggestions(meili, settings.meili_index_prefix, DEFAULT_SYNONYMS_PATH)
    assert set(texts(await suggest_bytes(meili, uid, "dua zoz", 8, None))) == {"Dưa hấu Zôzô", "Dứa Zôzô"}


async def test_the_worker_rebuilds_the_suggestions_every_refresh(meili: AsyncClient, settings: Settings) -> None:
    owner, fruit = await seller("Vườn Xoài Zêzê"), await category("Xoài Zêzê")
    for grade in ("vàng", "xanh"):
        await product(owner, fruit, f"Xoài cát Zêzê {grade}")
    refresh = suggestions_refresh(replace(settings, search_suggest_refresh_s=1))
    running = asyncio.create_task(refresh.run())
    uid = suggest_uid(settings.meili_index_prefix)
    try:
        async with asyncio.timeout(20):
            while "Xoài cát Zêzê" not in texts(await suggest_bytes(meili, uid, "xoai cat zez", 8, None)):
                await asyncio.sleep(0.2)
            for grade in ("xanh", "chín"):  # a phrase new to the catalog shows at the next rebuild
                await product(owner, fruit, f"Xoài tượng Zêzê {grade}")
            while "Xoài tượng Zêzê" not in texts(await suggest_bytes(meili, uid, "xoai tuong zez", 8, None)):
                await asyncio.sleep(0.2)
    finally:
        refresh.stop()
        await running
