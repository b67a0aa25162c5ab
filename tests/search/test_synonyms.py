"""The synonyms file: parsed into Meilisearch's mapping, reloaded into the live index without a deploy."""

from __future__ import annotations

import unicodedata
from pathlib import Path

import pytest
from meilisearch_python_sdk import AsyncClient

from search.index import ensure_index
from search.synonyms import (
    DEFAULT_SYNONYMS_PATH,
    SynonymsFileError,
    index_synonyms,
    load_synonyms,
    parse_groups,
    parse_rules,
    reload_synonyms,
    synonyms_mapping,
)


def test_groups_ignore_comments_and_blank_lines_and_normalise_terms() -> None:
    decomposed = unicodedata.normalize("NFD", "Dứa")
    text = f"# pineapple\n\nkhóm, Thơm ,{decomposed}  # North\n  đậu   phộng, lạc\n"
    assert parse_groups(text) == [["khóm", "thơm", "dứa"], ["đậu phộng", "lạc"]]


def test_every_term_maps_to_the_others_and_shared_terms_merge_groups() -> None:
    mapping = synonyms_mapping([["khóm", "thơm", "dứa"], ["thơm", "khóm", "thơm quả"]])
    assert mapping["dứa"] == ["khóm", "thơm"]
    assert mapping["khóm"] == ["dứa", "thơm", "thơm quả"]
    assert mapping["thơm quả"] == ["khóm", "thơm"]


@pytest.mark.parametrize("line", ["khóm", "khóm, khóm", "khóm, ,"])
def test_a_group_of_one_term_is_refused_with_its_line(line: str) -> None:
    with pytest.raises(SynonymsFileError, match=r"ops.txt:2: a group needs at least two"):
        parse_groups(f"lạc, đậu phộng\n{line}\n", source="ops.txt")


def test_shipped_file_has_the_regional_names_buyers_type() -> None:
    mapping = synonyms_mapping(parse_rules(DEFAULT_SYNONYMS_PATH.read_text(encoding="utf-8")))
    _, rules = load_synonyms(DEFAULT_SYNONYMS_PATH)
    assert rules >= 12
    assert set(mapping["thơm"]) == {"khóm", "dứa"}
    assert "thơm" not in mapping["khóm"] and "thơm" not in mapping["dứa"]  # "thơm" is also fragrant (gạo thơm)
    assert "lạc" in mapping["đậu phộng"]
    assert "na" in mapping["mãng cầu"]
    assert "sắn" in mapping["khoai mì"]
    assert "ngô" in mapping["bắp"]
    assert "lợn" in mapping["heo"]
    assert "bánh đa nem" in mapping["bánh tráng"]


def test_a_one_way_rule_maps_only_from_its_left_side() -> None:
    rules = parse_rules("khóm, dứa\nthơm => khóm, dứa\n")
    assert rules == [(["khóm", "dứa"], ["khóm", "dứa"]), (["thơm"], ["khóm", "dứa"])]
    assert synonyms_mapping(rules) == {"dứa": ["khóm"], "khóm": ["dứa"], "thơm": ["dứa", "khóm"]}


@pytest.mark.parametrize("line", ["=> khóm", "thơm =>", "thơm => thơm"])
def test_a_one_way_rule_needs_both_sides(line: str) -> None:
    with pytest.raises(SynonymsFileError, match=r"<synonyms>:1: a one-way rule"):
        parse_rules(line)


def test_index_synonyms_are_encoded_and_never_keyed_on_a_folding_several_words_share() -> None:
    synonyms = index_synonyms({"dứa": ["khóm"], "khóm": ["dứa"], "dưa hấu": ["dưa đỏ"], "dưa đỏ": ["dưa hấu"]})
    assert synonyms["duwaqs"] == ["khomqs"]  # dứa -> khóm, both encoded: no folded "dua" anywhere
    assert synonyms["khom"] == ["duwaqs"]  # "khom" typed plain is only khóm here
    assert "dua" not in synonyms  # "dua" could be dứa or dưa: no synonym for it
    assert synonyms["dua hau"] == ["duwaqz ddoqr"]  # the phrase has one reading
    assert synonyms["duwaqz haauqs"] == ["duwaqz ddoqr"]


async def test_reload_replaces_the_index_synonyms_from_the_file(meili: AsyncClient, uid: str, tmp_path: Path) -> None:
    await ensure_index(meili, uid, DEFAULT_SYNONYMS_PATH)
    edited = tmp_path / "synonyms.txt"
    edited.write_text("# operators' copy\nkhóm, thơm, dứa\nsầu riêng, durian\n", encoding="utf-8")

    assert await reload_synonyms(meili, uid, edited) == 2

    synonyms = await meili.index(uid).get_synonyms()
    assert synonyms is not None
    assert synonyms["saauqf rieengqz"] == ["durian"]
    assert synonyms["sau rieng"] == ["durian"]
    assert "lacqj" not in synonyms


async def test_a_malformed_file_changes_nothing(meili: AsyncClient, uid: str, tmp_path: Path) -> None:
    await ensure_index(meili, uid, DEFAULT_SYNONYMS_PATH)
    broken = tmp_path / "synonyms.txt"
    broken.write_text("khóm, thơm\nlạc\n", encoding="utf-8")
    with pytest.raises(SynonymsFileError):
        await reload_synonyms(meili, uid, broken)
    synonyms = await meili.index(uid).get_synonyms()
    assert synonyms is not None
    assert "lacqj" in synonyms["ddaauqj phoongqj"]
