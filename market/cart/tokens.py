"""Cart ids and guest cart tokens.

A guest cart token is `<cart id>.<signature>`: the id (`crt_...`, shown in cart answers) with an HMAC-SHA256 of it
under SECRET_KEY. The id alone opens nothing; a token that was not signed here is refused without touching Redis.
A customer's cart id is derived from the account id under the same key, so it is stable, opaque, and never a
valid guest token (the two are signed in different domains).
"""

from __future__ import annotations

from market.core.errors import NotAuthenticated
from market.core.ids import has_prefix, new_id
from market.core.security import mac, signed, unsigned

_ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz"
MAX_TOKEN_LENGTH = 100
# Tokens verified lately (a token always opens the same cart under the same key): the hot path skips the HMAC.
_VERIFIED_MAX = 10_000
_verified: dict[str, tuple[str, str]] = {}


class InvalidCartToken(NotAuthenticated):
    """A cart token this API did not issue (malformed, or forged)."""

    code = "invalid_cart_token"


def new_guest_cart(secret: str) -> tuple[str, str]:
    """A new guest cart: (id, token)."""
    cart_id = new_id("crt")
    return cart_id, guest_token(secret, cart_id)


def guest_token(secret: str, cart_id: str) -> str:
    return signed(secret, "guest-cart", cart_id)


def verify_guest_token(secret: str, token: str) -> str:
    """The cart id of a token issued here; InvalidCartToken (401) otherwise."""
    known = _verified.get(token)
    if known is not None and known[0] == secret:
        return known[1]
    cart_id = token.partition(".")[0]
    if len(token) > MAX_TOKEN_LENGTH or not has_prefix(cart_id, "crt"):
        raise InvalidCartToken("This cart token is malformed.")
    if unsigned(secret, "guest-cart", token) != cart_id:
        raise InvalidCartToken("This cart token was not issued by this API.")
    if len(_verified) >= _VERIFIED_MAX:
        _verified.clear()
    _verified[token] = (secret, cart_id)
    return cart_id


def customer_cart_id(secret: str, account_id: str) -> str:
    """The stable id of an account's cart."""
    value = int.from_bytes(mac(secret, "customer-cart", account_id)[:17], "big")
    return "crt_" + "".join(_ALPHABET[(value >> (5 * index)) & 31] for index in range(26))
