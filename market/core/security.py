"""Secrets: random tokens, their digests, and argon2id password hashes computed off the event loop."""

from __future__ import annotations

import hashlib
import hmac
import secrets

import anyio.to_thread
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

_passwords = PasswordHash((Argon2Hasher(),))


def new_token(prefix: str, nbytes: int = 24) -> str:
    """An opaque bearer secret such as `mks_...`; shown once, stored only as its digest."""
    return f"{prefix}_{secrets.token_urlsafe(nbytes)}"


def digest(token: str) -> str:
    """SHA-256 of a high-entropy token: enough for random secrets (passwords use argon2id)."""
    return hashlib.sha256(token.encode()).hexdigest()


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


async def hash_password(password: str) -> str:
    """argon2id, in a worker thread: hashing takes tens of milliseconds and must not block the loop."""
    return await anyio.to_thread.run_sync(_passwords.hash, password)


async def verify_password(password: str, password_hash: str) -> bool:
    return await anyio.to_thread.run_sync(_passwords.verify, password, password_hash)
