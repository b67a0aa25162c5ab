"""The `Market-Signature` header, in Stripe's scheme.

`Market-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" keyed with the endpoint's secret>`. While
a rotated secret is still valid (its overlap window), a second `v1=` carries the signature with the previous
secret, so a receiver that still has only the old one keeps verifying. The key is the whole secret string
(`whsec_...`) as UTF-8, the body the exact bytes sent. The README shows how a receiver verifies it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

HEADER = "Market-Signature"
SECRET_PREFIX = "whsec_"  # noqa: S105 - the prefix, not a secret


def new_secret() -> str:
    """A new signing secret: `whsec_` and 32 random bytes, URL-safe base64."""
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def sign(body: bytes, timestamp: int, secret: str) -> str:
    """The hex HMAC-SHA256 of `<timestamp>.<body>` under `secret`."""
    message = str(timestamp).encode() + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def signature_header(body: bytes, timestamp: int, signing_secrets: list[str]) -> str:
    """The header's value: the timestamp, then one `v1=` per secret (the current one first)."""
    return ",".join([f"t={timestamp}", *(f"v1={sign(body, timestamp, secret)}" for secret in signing_secrets)])
