"""Secrets: random tokens and their digests (passwords: argon2id in `market.accounts.hashing`)."""

from __future__ import annotations

import hashlib
import secrets


def new_token(prefix: str, nbytes: int = 24) -> str:
    """An opaque bearer secret such as `mks_...`; shown once, stored only as its digest."""
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def digest(token: str) -> str:
    """SHA-256 of a high-entropy token: enough for random secrets (passwords use argon2id)."""
    return hashlib.sha256(token.encode()).hexdigest()
