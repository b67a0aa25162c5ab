"""Diacritics encoded as letters: distinct words stay distinct, and no encoded word is a prefix of another."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from market.core.text import fold
from search.vietnamese import decode_telex, encode_text, encode_word, has_diacritics, rewrite_query, unfinished


@pytest.mark.parametrize(
    ("word", "encoded"),
    [
        ("dưa", "duwaqz"),
        ("dứa", "duwaqs"),
        ("dừa", "duwaqf"),
        ("hấu", "haauqs"),
        ("thơm", "thowmqz"),
        ("gạo", "gaoqj"),
        ("đỏ", "ddoqr"),
        ("mãng", "mangqx"),
        ("Trăng", "trawngqz"),
        ("ruột", "ruootqj"),
        ("thương", "thuwowngqz"),
    ],
)
def test_marks_and_tones_become_letters(word: str, encoded: str) -> None:
    assert encode_word(word) == encoded
    assert encode_word(unicodedata.normalize("NFD", word)) == encoded  # however the keyboard composed it


@pytest.mark.parametrize(
    ("typed", "encoded"),
    [("gaoj", "gaoqj"), ("thowm", "thowmqz"), ("khoms", "khomqs"), ("khosm", "khomqs"), ("thuowngf", "thuwowngqf")],
)
def test_telex_leftovers_decode_to_the_same_letters(typed: str, encoded: str) -> None:
    assert decode_telex(typed) == encoded


@pytest.mark.parametrize("typed", ["thom", "gao", "st25", "ocop", "vietgap", "sao", "khoaai", "an"])
def test_plain_syllables_typos_and_non_syllables_are_not_telex(typed: str) -> None:
    assert decode_telex(typed) is None


def test_query_rewriting() -> None:
    assert rewrite_query("Dưa hấu") == "duwaqz haauqs"
    assert rewrite_query("dua hau") == "dua hau"  # typed without diacritics: every reading
    assert rewrite_query("gạo ST25 Sóc Trăng") == "gaoqj st25 socqs trawngqz"
    assert rewrite_query("gaoj thowm") == "gaoqj thowmqz"
    assert rewrite_query("dứa queen") == "duwaqs queen"  # next to diacritics, an ASCII word is meant as typed
    assert encode_text("Dưa hấu Long An") == "duwaqz haauqs long an"


VOWELS = "aăâeêioôơuưy"
TONES = ["", "\u0301", "\u0300", "\u0309", "\u0303", "\u0323"]
syllables = st.builds(
    lambda onset, vowel, coda, tone: unicodedata.normalize("NFC", onset + vowel + tone + coda),
    st.sampled_from(["", "b", "d", "đ", "g", "kh", "ng", "th", "tr"]),
    st.sampled_from([*VOWELS, "ươ", "uô", "iê", "ai", "ao"]),
    st.sampled_from(["", "c", "m", "n", "ng", "nh", "t"]),
    st.sampled_from(TONES),
)


@given(syllables, syllables)
def test_distinct_words_encode_distinctly_and_never_as_prefixes(first: str, second: str) -> None:
    if first != second:
        assert encode_word(first) != encode_word(second)
        assert not encode_word(second).startswith(encode_word(first))


@given(syllables)
def test_an_encoded_word_is_two_edits_from_its_folding_at_least(word: str) -> None:
    encoded, folded = encode_word(word), fold(word)
    assert encoded.isascii() and encoded.isalnum()
    assert len(encoded) >= len(folded) + 2  # beyond one typo: Meilisearch allows one below nine letters
    assert has_diacritics(word) or encoded == folded + "qz"


def test_an_unfinished_last_word_keeps_its_letters_and_marks_and_loses_its_tone() -> None:
    assert unfinished(rewrite_query("dưa hấ")) == "duwaqz haa"  # a prefix of haauqs (hấu), haauqf (hầu)
    assert unfinished(rewrite_query("quả")) == "qua"  # the last q is the separator
    assert unfinished(rewrite_query("dua ha")) is None  # nothing encoded: the first question was the right one
    assert unfinished(rewrite_query("gaoj")) == "gao"  # Telex leftovers are encoded too
