"""Security schemes (one per credential the API takes) and each operation's requirement, from its guard."""

from __future__ import annotations

from typing import Any

from market.web.openapi.routes import Route
from market.web.sessions import COOKIE_NAME

SCHEMES: dict[str, dict[str, Any]] = {
    "buyerBearer": {"type": "http", "scheme": "bearer", "bearerFormat": "bss_...", "description":
                    "A buyer's session for mobile clients: `Authorization: Bearer bss_...`, the `token` of the "
                    "sign-in or registration answer (with `client: \"mobile\"`)."},
    "buyerSession": {"type": "apiKey", "in": "cookie", "name": COOKIE_NAME, "description":
                     "A buyer's session for web clients: the HttpOnly cookie set by sign-in or registration. "
                     "Every unsafe request made with it also sends `X-CSRF-Token` (`csrfToken`)."},
    "csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token", "description":
                  "The value of the `market_csrf` cookie, echoed on every POST, PATCH and DELETE made with the "
                  "session cookie."},
    "sellerSession": {"type": "http", "scheme": "bearer", "bearerFormat": "mss_...", "description":
                      "A seller member's session: `Authorization: Bearer mss_...` from `POST /seller/v1/sessions`. "
                      "Carries every scope; some actions are the owner's only."},
    "sellerApiKey": {"type": "http", "scheme": "bearer", "bearerFormat": "mks_...", "description":
                     "A seller API key: `Authorization: Bearer mks_...`, limited to its scopes (listed per "
                     "operation)."},
    "operatorToken": {"type": "http", "scheme": "bearer", "bearerFormat": "mko_...", "description":
                      "An operator's personal token: `Authorization: Bearer mko_...` from `market admin create`."},
}  # fmt: skip

_SAFE = {"get", "head", "options"}


def requirement(route: Route, method: str) -> list[dict[str, list[str]]]:
    """The operation's `security`: the alternatives that authenticate it (an empty object: none needed)."""
    if route.guard in ("buyer", "buyer_optional"):
        cookie: dict[str, list[str]] = (
            {"buyerSession": []} if method in _SAFE else {"buyerSession": [], "csrfToken": []}
        )
        signed_in: list[dict[str, list[str]]] = [{"buyerBearer": []}, cookie]
        return signed_in if route.guard == "buyer" else [{}, *signed_in]
    if route.guard == "seller":
        if route.opt.get("owner"):
            return [{"sellerSession": []}]
        scope = route.opt.get("scope")
        return [{"sellerApiKey": [scope] if scope else []}, {"sellerSession": []}]
    if route.guard == "operator":
        return [{"operatorToken": []}]
    return []


def authenticated(route: Route) -> bool:
    """Whether the operation refuses a request without credentials (401)."""
    return route.guard in ("buyer", "seller", "operator")


def cookie_writes(route: Route, method: str) -> bool:
    """Whether the operation can ride on the session cookie with an unsafe method (and so fail the CSRF check)."""
    return route.guard in ("buyer", "buyer_optional") and method not in _SAFE
