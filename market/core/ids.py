"""Opaque, prefixed public ids (`prd_`, `ord_`, `evt_` ...), never database sequence numbers."""

from __future__ import annotations

import secrets
import time

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"  # Crockford base32, lowercase


def new_id(prefix: str) -> str:
    """A new id: `prefix_` + 10 characters of millisecond time + 16 random ones.

    The time part makes ids roughly sortable by creation, which keeps B-tree inserts local; the random part
    (80 bits from the OS's CSPRNG, drawn in one call) makes them unguessable.
    """
    value = (time.time_ns() // 1_000_000) << 80 | int.from_bytes(secrets.token_bytes(10), "big")
    chars = [""] * 26
    for index in range(25, -1, -1):
        chars[index] = _ALPHABET[value & 31]
        value >>= 5
    return f"{prefix}_{''.join(chars)}"


def has_prefix(value: str, prefix: str) -> bool:
    """True when `value` looks like an id of the given kind (cheap check before a lookup)."""
    body = value.removeprefix(f"{prefix}_")
    return body != value and len(body) == 26 and all(char in _ALPHABET for char in body)
