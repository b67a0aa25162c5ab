"""Secrets: random tokens and their digests (passwords: argon2id in `market.accounts.hashing`)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets


def new_token(prefix: str, nbytes: int = 24) -> str:
    """An opaque bearer secret such as `mks_...`; shown once, stored only as its digest."""
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def digest(token: str) -> str:
    """SHA-256 of a high-entropy token: enough for random secrets (passwords use argon2id)."""
    return hashlib.sha256(token.encode()).hexdigest()


def mac(secret: str, domain: str, value: str) -> bytes:
    """HMAC-SHA256 of `value` within `domain` (so that one domain's signature never passes for another's)."""
    return hmac.new(secret.encode(), f"{domain}:{value}".encode(), hashlib.sha256).digest()


def signed(secret: str, domain: str, value: str) -> str:
    """`value.<HMAC-SHA256>`: a capability to `value` within `domain` (a guest's cart or order), checkable without
    storing anything."""
    return f"{value}.{base64.urlsafe_b64encode(mac(secret, domain, value)).decode().rstrip('=')}"


def unsigned(secret: str, domain: str, token: str) -> str | None:
    """The value of a token `signed` made for `domain`, or None."""
    value = token.rpartition(".")[0]
    if not value or len(token) > 200:
        return None
    return value if hmac.compare_digest(signed(secret, domain, value).encode(), token.encode()) else None
