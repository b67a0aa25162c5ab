"""Vietnamese text: NFC on the way in, ASCII folding for slugs and diacritic-free matching."""

from __future__ import annotations

import re
import unicodedata

_NON_SLUG = re.compile(r"[^a-z0-9]+")


def nfc(value: str) -> str:
    """Compose to NFC and trim: "Đà Lạt" typed on any keyboard becomes the same string."""
    return unicodedata.normalize("NFC", value).strip()


def fold(value: str) -> str:
    """Lowercase ASCII without diacritics: "Đà Lạt" -> "da lat" (đ is a letter of its own, mapped to d)."""
    decomposed = unicodedata.normalize("NFD", value.replace("Đ", "D").replace("đ", "d"))
    return "".join(char for char in decomposed if not unicodedata.combining(char)).lower()


def slugify(value: str, *, max_length: int = 80) -> str:
    """A URL slug: "Mãng cầu Bà Đen" -> "mang-cau-ba-den"."""
    slug = _NON_SLUG.sub("-", fold(nfc(value))).strip("-")
    return slug[:max_length].rstrip("-") or "item"
