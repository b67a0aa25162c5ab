"""Opaque, prefixed public ids (`prd_`, `ord_`, `evt_` ...), never database sequence numbers."""

from __future__ import annotations

import base64
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


_RFC4648 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
_TO_CROCKFORD = str.maketrans(_RFC4648, _ALPHABET)


def new_ids(prefix: str, count: int) -> list[str]:
    """`count` new ids at once, exactly as `new_id` makes them (one millisecond for all, 80 random bits each, from
    one call to the OS's CSPRNG): for batches, where `new_id`'s per-character loop is most of the cost."""
    millis = time.time_ns() // 1_000_000
    head = "".join(_ALPHABET[(millis >> shift) & 31] for shift in range(45, -5, -5))
    random = base64.b32encode(secrets.token_bytes(10 * count)).decode().translate(_TO_CROCKFORD)
    return [f"{prefix}_{head}{random[16 * n : 16 * n + 16]}" for n in range(count)]
