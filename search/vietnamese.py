"""Diacritics that count: Vietnamese words encoded as ASCII letters, so that Meilisearch cannot fold them together.

Meilisearch folds every word to ASCII ("dưa", "dứa" and "dừa" all become "dua"), which is right for buyers who
type without diacritics and wrong for those who type them. Each word with a diacritic is therefore also indexed
in an encoded form that keeps them as letters, Telex-style: the base letters with the vowel and consonant marks
written as letters (â=aa, ă=aw, ê=ee, ô=oo, ơ=ow, ư=uw, đ=dd), then "q" and the tone letter (s sắc, f huyền,
r hỏi, x ngã, j nặng, z none):

    dưa -> duwaqz    dứa -> duwaqs    dừa -> duwaqf    hấu -> haauqs    thơm -> thowmqz

The "q" never follows a vowel in Vietnamese, so an encoded word is never a prefix of another one ("duwaqz" is not
a prefix of "duwaqs"), and it puts two edits between an encoded word and its folded form ("khomqs" against
"khom"), more than Meilisearch's typo tolerance allows for words under nine letters.

A query word the buyer typed with diacritics is rewritten into its encoded form and matches only the encoded
fields; a word typed without them stays as it is and matches the folded fields (all readings). A word typed as
Telex leftovers ("gaoj", "thowm", "dduwa") is decoded to the same encoded form.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from typing import Final

from market.core.text import fold

_TONES: Final = {"\u0301": "s", "\u0300": "f", "\u0309": "r", "\u0303": "x", "\u0323": "j"}
_MARKS: Final = {"\u0302": "", "\u0306": "w", "\u031b": "w"}  # circumflex doubles the letter (â -> aa)
TONE_LETTERS: Final = "sfrxj"
NO_TONE: Final = "z"
SEPARATOR: Final = "q"

_WORD = re.compile(r"[^\W_]+", re.UNICODE)
_ONSET = "(?:ngh|ng|nh|ch|gh|gi|kh|ph|qu|th|tr|dd|[bcdghklmnpqrstvx])?"
_NUCLEUS = "(?:uow|aa|aw|ee|oo|ow|uw|[aeiouyw])+"
_CODA = "(?:ch|ng|nh|[cmnpt])?"
_TELEX = re.compile(f"^({_ONSET})({_NUCLEUS})([{TONE_LETTERS}]?)({_CODA})([{TONE_LETTERS}]?)$")
_TELEX_MARKS = (("uow", "ươ"), ("uw", "ư"), ("ow", "ơ"), ("aw", "ă"), ("aa", "â"), ("ee", "ê"), ("oo", "ô"), ("w", "ư"))


_NUCLEI: Final = frozenset(
    "a ă â e ê i o ô ơ u ư y ai ao au ay âu ây eo êu ia iê iu oa oă oe oi ôi ơi ua uâ uê ui uô uơ uy ưa ưi ưu ươ "  # noqa: SIM905
    "yê iêu oai oay oao oeo uây uôi uya uyê uyu ươi ươu yêu".split()
)
"""Vowel clusters of Vietnamese syllables: a Telex decoding that gives another one is a typo, not Telex."""


@lru_cache(maxsize=65_536)
def has_diacritics(word: str) -> bool:
    """True when the word holds a letter that folding would change (a mark, a tone or đ)."""
    return fold(word) != word.lower()


@lru_cache(maxsize=65_536)  # a catalog's vocabulary is small: indexing 100,000 documents encodes few words
def encode_word(word: str) -> str:
    """The encoded form of one word with diacritics ("hấu" -> "haauqs"); see the module's docstring."""
    letters: list[str] = []
    tone = NO_TONE
    for char in unicodedata.normalize("NFD", word.lower()):
        if char in _TONES:
            tone = _TONES[char]
        elif char in _MARKS:
            if letters:
                letters.append(_MARKS[char] or letters[-1])
        elif char == "đ":
            letters.append("dd")
        elif not unicodedata.combining(char):
            letters.append(char)
    return "".join(letters) + SEPARATOR + tone


def decode_telex(word: str) -> str | None:
    """The encoded form of a word typed as Telex leftovers ("gaoj" -> "gaoqj", "thowm" -> "thowmqz"), or None.

    Only ASCII words that parse as one Vietnamese syllable with at least one Telex mark or tone letter qualify:
    a plain syllable ("thom", "gao") is left alone, and so are words that are not syllables ("st25", "ocop").
    """
    if not word.isascii() or not word.isalpha():
        return None
    match = _TELEX.match(word.lower())
    if match is None:
        return None
    onset, nucleus, tone_before, coda, tone_after = match.groups()
    if tone_before and tone_after:
        return None
    tone = tone_before or tone_after
    marked = onset == "dd" or any(mark in nucleus for mark, _ in _TELEX_MARKS)
    if not (tone or marked):
        return None
    vowels = nucleus
    for telex, letter in _TELEX_MARKS:
        vowels = vowels.replace(telex, letter)
    if vowels not in _NUCLEI:
        return None
    base = ("đ" if onset == "dd" else onset) + vowels + coda
    return encode_word(base)[:-1] + (tone or NO_TONE)


def words(text: str) -> list[str]:
    """The words of a text, lowercase, as Meilisearch's tokenizer separates them (letters and digits)."""
    return _WORD.findall(unicodedata.normalize("NFC", text).lower())


@lru_cache(maxsize=65_536)  # names repeat ("Khóm Bến Lức ..."), categories, sellers and provinces much more
def encode_text(text: str) -> str:
    """A text with its words with diacritics encoded and the others kept (the index's `*_vn` fields).

    The plain words stay so that a phrase keeps its order in one field: a synonym "khoai miqf" (khoai mì) must
    find "khoai" and "miqf" side by side.
    """
    return " ".join(encode_word(word) if has_diacritics(word) else word for word in words(text))


def rewrite_word(word: str) -> str:
    """A query word as it is sent to Meilisearch: encoded if typed with diacritics or as Telex, else unchanged."""
    if has_diacritics(word):
        return encode_word(word)
    return decode_telex(word) or word


def rewrite_query(text: str) -> str:
    """The query as it is sent to Meilisearch (see `rewrite_word`); digits and plain words are kept.

    Telex leftovers are decoded only in a query typed without any diacritic: next to a word with diacritics the
    keyboard was converting, so an ASCII word is meant as typed ("dứa queen" is not "dứa quên").
    """
    typed = words(text)
    telex = not any(has_diacritics(word) for word in typed)
    return " ".join(rewrite_word(word) if telex or has_diacritics(word) else word for word in typed)


def unfinished(rewritten: str) -> str | None:
    """A rewritten query whose last word, encoded, is cut to its letters and marks ("duwaqz haaqs" -> "duwaqz
    haa"), so that as a prefix it finds the words that go on from it with any tone: what a buyer typing "dưa hấ"
    (on the way to "hấu", the keyboard adding marks as it goes) means, and "haaqs" is no prefix of "haauqs". None
    when the last word is not encoded."""
    head, _, last = rewritten.rpartition(" ")
    letters, separator, tone = last.rpartition(SEPARATOR)
    if not separator or not letters or tone not in (*TONE_LETTERS, NO_TONE):
        return None
    return f"{head} {letters}".lstrip()
