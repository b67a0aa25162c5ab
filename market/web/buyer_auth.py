"""Buyer authentication flows with their rate limits: registration, sign-in, and password checks of a signed-in
account (change, deletion). The limits run before any password is hashed (`market.core.ratelimit`)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from litestar import Request

from market.accounts import service
from market.accounts.tables import Account
from market.core.errors import DomainError, ValidationFailed
from market.core.ratelimit import AuthLimits
from market.core.resources import Resources
from market.web.clients import client_address

T = TypeVar("T")


async def register(request: Request[Any, Any, Any], resources: Resources, identifier: str, name: str,
                   password: str) -> Account:  # fmt: skip
    """A new account, within the per-address and per-identifier registration limits."""
    limits = AuthLimits(resources, "register")
    await limits.address(
        client_address(request, resources.settings.trusted_proxy_header), account_key=_account_key(identifier)
    )
    who = service.identifier(identifier)
    await limits.account(who.email or who.phone or "")
    return await service.register(identifier, name, password)


async def sign_in(request: Request[Any, Any, Any], resources: Resources, identifier: str, password: str) -> Account:
    """The account these credentials open, within the per-address and per-account limits."""
    limits = AuthLimits(resources, "login")
    await limits.address(
        client_address(request, resources.settings.trusted_proxy_header), account_key=_account_key(identifier)
    )
    who = service.identifier(identifier)
    account_key = who.email or who.phone or ""
    await limits.account_attempt(account_key)
    account = await service.authenticate(who, password)
    await limits.account_succeeded(account_key)
    return account


def _account_key(identifier: str) -> str | None:
    """The limiter's key of the account an identifier names, or None when it names none (a 422 follows)."""
    try:
        who = service.identifier(identifier)
    except ValidationFailed:
        return None
    return who.email or who.phone


async def password_checked(resources: Resources, account_id: str, action: Callable[[], Awaitable[T]]) -> T:
    """Run an action that checks the signed-in account's password, under the per-account limit (only a wrong
    password uses up the attempt), so a stolen session cannot be used to guess it."""
    limits = AuthLimits(resources, "password")
    await limits.account_attempt(account_id)
    try:
        result = await action()
    except ValidationFailed as exc:
        if not any(error.code == "wrong_password" for error in exc.errors):
            await limits.account_succeeded(account_id)
        raise
    except DomainError:
        await limits.account_succeeded(account_id)
        raise
    await limits.account_succeeded(account_id)
    return result
