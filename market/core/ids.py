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


_BYTE_TO_CHAR = bytes(ord(_ALPHABET[byte & 31]) for byte in range(256))
"""A random byte to a character: 256 is a multiple of 32, so each character is uniform (5 bits of each byte)."""


def new_ids(prefix: str, count: int) -> list[str]:
    """`count` new ids at once, in `new_id`'s form (one millisecond for all, 80 random bits each: 16 characters
    from 16 bytes of one call to the OS's CSPRNG, mapped in C): for batches, where `new_id`'s per-character loop
    is most of the cost."""
    millis = time.time_ns() // 1_000_000
    head = "".join(_ALPHABET[(millis >> shift) & 31] for shift in range(45, -5, -5))
    random = secrets.token_bytes(16 * count).translate(_BYTE_TO_CHAR).decode()
    return [f"{prefix}_{head}{random[16 * n : 16 * n + 16]}" for n in range(count)]
