"""Webhook signing secrets at rest: AES-256-GCM under WEBHOOK_SECRETS_KEY, never the `whsec_` value itself.

A stored value is `whenc1.<key id>.<base64url(nonce || ciphertext || tag)>`: the key id (the first 8 hex digits of
a SHA-256 of the key, which tells nothing about the key) says which key sealed it, so keys rotate: the current key
(WEBHOOK_SECRETS_KEY) seals, the current or the previous one (WEBHOOK_SECRETS_KEY_PREVIOUS) opens. The endpoint's id
is the associated data: a sealed secret copied onto another endpoint's row does not open there.

Rows written before encryption hold the plain `whsec_` value: they still open (`is_legacy`), and are sealed under
the current key on their next delivery or by `market webhooks rekey`, like rows sealed under the previous key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from market.settings import Settings
from market.webhooks.signing import SECRET_PREFIX

PREFIX = "whenc1"
NONCE_BYTES = 12


class SecretUnreadable(Exception):
    """A stored secret that none of the configured keys opens (a wrong or missing key, or a damaged row).

    The message names the key id and the endpoint, never the stored value."""


def key_id(key: bytes) -> str:
    """The 8 hex digits that name a key in the values it sealed."""
    return hashlib.sha256(b"market webhook secrets key id\x00" + key).hexdigest()[:8]


def is_legacy(stored: str) -> bool:
    """A value written before encryption: the plain secret."""
    return stored.startswith(SECRET_PREFIX)


class SecretBox:
    """Seals with the current key, opens with the current or the previous one."""

    def __init__(self, current: bytes, previous: bytes | None = None) -> None:
        if len(current) != 32 or (previous is not None and len(previous) != 32):
            raise ValueError("webhook secret keys are 32 bytes")
        self.current_id = key_id(current)
        self._seal = AESGCM(current)
        self._keys = {self.current_id: self._seal}
        if previous is not None:
            self._keys.setdefault(key_id(previous), AESGCM(previous))

    def __repr__(self) -> str:
        return f"<SecretBox keys={list(self._keys)}>"

    def seal(self, secret: str, endpoint_id: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._seal.encrypt(nonce, secret.encode(), endpoint_id.encode())
        return f"{PREFIX}.{self.current_id}.{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"

    def open(self, stored: str, endpoint_id: str) -> str:
        """The secret a stored value holds (a legacy plain one as it is); `SecretUnreadable` when no key opens it."""
        if is_legacy(stored):
            return stored
        prefix, _, rest = stored.partition(".")
        kid, _, data = rest.partition(".")
        if prefix != PREFIX or not data:
            raise SecretUnreadable(f"webhook endpoint {endpoint_id}: the stored secret is not in a known format")
        aead = self._keys.get(kid)
        if aead is None:
            raise SecretUnreadable(f"webhook endpoint {endpoint_id}: sealed with key {kid}, which is neither "
                                   "WEBHOOK_SECRETS_KEY nor WEBHOOK_SECRETS_KEY_PREVIOUS")  # fmt: skip
        try:
            raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
            return aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], endpoint_id.encode()).decode()
        except (InvalidTag, binascii.Error, ValueError, UnicodeDecodeError):
            raise SecretUnreadable(f"webhook endpoint {endpoint_id}: the stored secret does not open with key "
                                   f"{kid} (damaged, or sealed for another endpoint)") from None  # fmt: skip

    def is_current(self, stored: str) -> bool:
        """Sealed under the current key (nothing to re-encrypt)."""
        return stored.startswith(f"{PREFIX}.{self.current_id}.")

    def resealed(self, stored: str, endpoint_id: str) -> str | None:
        """The value under the current key when `stored` is legacy or under the previous key, else None."""
        return None if self.is_current(stored) else self.seal(self.open(stored, endpoint_id), endpoint_id)


@lru_cache(maxsize=4)
def _box(current: bytes, previous: bytes | None) -> SecretBox:
    return SecretBox(current, previous)


def box_for(settings: Settings) -> SecretBox:
    """The box of these settings' keys (one per pair of keys in the process)."""
    return _box(settings.webhook_secrets_key, settings.webhook_secrets_key_previous)


def current_box() -> SecretBox:
    """The box of the process's settings."""
    from market.core.resources import current

    return box_for(current().settings)
