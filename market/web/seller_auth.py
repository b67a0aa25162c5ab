"""Seller API authentication: an API key (`mks_...`, with scopes) or a member session (`mss_...`).

Handlers declare what they need in `opt`: `{"scope": "catalog:write"}` for a key's scope, `{"owner": True}` for
what only the owner's session may do (members, API keys). Sessions of members carry every scope.

A suspended seller's keys and sessions still read (its orders, products, status history: it must be able to see
why and what is open), but every write is a 403 `seller_suspended`, except what only takes access away (revoking
an API key, `opt={"while_suspended": True}`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request

from market.accounts.service import API_KEY_PREFIX, SessionStore, cannot_end, identifier
from market.accounts.tables import Account
from market.core.errors import Forbidden, NotAuthenticated
from market.core.ratelimit import AuthLimits
from market.core.resources import Resources
from market.sellers import service
from market.sellers.schemas import SCOPES
from market.sellers.service import is_suspended, membership, resolve_api_key
from market.sellers.tables import SellerMember
from market.web.deps import bearer_token

SESSION_PREFIX = "mss"
_READS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class SellerPrincipal:
    """Who is calling the seller API, for which seller."""

    seller_id: str
    scopes: frozenset[str]
    account_id: str | None = None
    role: str | None = None
    api_key_id: str | None = None


def session_store(resources: Resources) -> SessionStore:
    return SessionStore(
        resources.redis, f"{resources.settings.redis_key_prefix}seller:", resources.settings.session_ttl_s
    )


async def provide_seller(request: Request[Any, Any, Any], resources: Resources) -> SellerPrincipal:
    principal = await _authenticate(bearer_token(request.headers.get("authorization")), resources)
    opt = request.route_handler.opt
    if opt.get("owner") and principal.role != "owner":
        raise Forbidden("Only the owner, signed in, may do this.", code="owner_only")
    scope = opt.get("scope")
    if scope and scope not in principal.scopes:
        raise Forbidden(f"This API key lacks the {scope} scope.", code="insufficient_scope", scope=scope)
    if request.method not in _READS and not opt.get("while_suspended") and await is_suspended(principal.seller_id):
        raise Forbidden("This seller is suspended: it can read, but not change anything.", code="seller_suspended")
    return principal


async def sign_in(
    resources: Resources, identifier_value: str, password: str, seller_slug: str | None
) -> tuple[Account, SellerMember]:
    """A member's account and membership, within the per-account failure limit buyers have
    (`market.core.ratelimit`: AUTH_FAILURES_PER_ACCOUNT per 15 minutes, reserved before the password is hashed,
    given back unless the password was wrong). The budget is the account's buyer sign-in budget too: it is one
    password, so guesses through either door count together. The per-address limit is the route's middleware."""
    who = identifier(identifier_value)  # a malformed identifier is a 422 and counts nothing
    account_key = who.email or who.phone or ""
    limits = AuthLimits(resources, "login")
    await limits.account_attempt(account_key)
    try:
        found = await service.login(identifier_value, password, seller_slug)
    except NotAuthenticated:
        raise  # a wrong password (or no such account) keeps the attempt spent
    except BaseException:
        await limits.account_succeeded(account_key)  # the password was right: not a member, several sellers
        raise
    await limits.account_succeeded(account_key)
    return found


async def end_session(token: str | None, resources: Resources) -> None:
    """Log a member session out; an API key (409) or a token that is no live session (401) says so."""
    if not token or not token.startswith(f"{SESSION_PREFIX}_") or not await session_store(resources).delete(token):
        raise cannot_end(token)


async def _authenticate(token: str | None, resources: Resources) -> SellerPrincipal:
    if token and token.startswith(API_KEY_PREFIX):
        found = await resolve_api_key(token)
        if found:
            seller_id, key_id, scopes = found
            return SellerPrincipal(seller_id=seller_id, scopes=scopes, api_key_id=key_id)
    elif token and token.startswith(f"{SESSION_PREFIX}_"):
        session = await session_store(resources).get(token)
        if session and session.seller_id:
            member = await membership(session.account_id, session.seller_id)
            if member is not None:
                return SellerPrincipal(
                    seller_id=session.seller_id,
                    scopes=frozenset(SCOPES),
                    account_id=session.account_id,
                    role=member.role,
                )
    raise NotAuthenticated("A seller API key or a member session is required.")
