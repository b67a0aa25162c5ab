"""Accounts: identifiers (email or Vietnamese mobile), passwords, registration, password change, erasure."""

from __future__ import annotations

import functools
import json
import re
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import phonenumbers
from redis.asyncio import Redis

from market.accounts.hashing import hash_password, verify_password  # dedicated low-priority threads
from market.accounts.passwords import is_common
from market.accounts.tables import Account, Address
from market.core.db import transaction
from market.core.errors import Conflict, DomainError, NotAuthenticated, NotFound, field_error
from market.core.ids import new_id
from market.core.outbox.service import record
from market.core.security import digest, new_token
from market.core.text import nfc
from market.sellers.tables import SellerMember

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
MIN_PASSWORD = 10
COMMON_PASSWORDS = frozenset(
    {"1234567890", "12345678910", "0123456789", "password123", "matkhau123", "qwertyuiop", "iloveyou123",
     "abc1234567", "1111111111", "0987654321", "123456789a", "password1234", "admin12345"}
)  # fmt: skip
# Argon2id of a random string: verifying against it when the account does not exist costs the same time, so a
# login's duration never tells whether an identifier is registered.
_DUMMY_HASH = "$argon2id$v=19$m=65536,t=3,p=4$3bbG4+8xCtQZ8s+g+dBQGQ$7ahEPWh6+ee3f5+owEf/5z0FiAy1folhxbC19LigPjQ"


@dataclass(frozen=True)
class Identifier:
    """A normalised sign-in identifier: exactly one of email or phone (E.164)."""

    email: str | None
    phone: str | None


def normalise_phone(raw: str, field: str = "phone") -> str:
    """A Vietnamese mobile number in E.164 (`0912345678` or `+84912345678` -> `+84912345678`)."""
    found = _e164(raw)
    if found is None:
        raise field_error(field, "invalid_phone", "Not a Vietnamese mobile number (10 digits starting with 0).")
    return found


@functools.lru_cache(maxsize=4096)
def _e164(raw: str) -> str | None:
    """libphonenumber's parse is the costliest step of a checkout's validation; the same numbers come back."""
    try:
        number = phonenumbers.parse(raw, "VN")
    except phonenumbers.NumberParseException:
        return None
    if (
        number.country_code != 84
        or not phonenumbers.is_valid_number(number)
        or phonenumbers.number_type(number) != phonenumbers.PhoneNumberType.MOBILE
    ):
        return None
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))


def normalise_email(raw: str, field: str = "email") -> str:
    value = nfc(raw).lower()
    if len(value) > 254 or not _EMAIL.match(value):
        raise field_error(field, "invalid_email", "Not an email address.")
    return value


def identifier(value: str, field: str = "identifier") -> Identifier:
    """An email when it contains @, a phone number otherwise."""
    if "@" in value:
        return Identifier(normalise_email(value, field), None)
    return Identifier(None, normalise_phone(value, field))


def check_password(password: str, field: str = "password") -> None:
    if len(password) < MIN_PASSWORD:
        raise field_error(field, "password_too_short", f"Use at least {MIN_PASSWORD} characters.")
    if len(password) > 200:
        raise field_error(field, "password_too_long", "Use at most 200 characters.")
    if password.lower() in COMMON_PASSWORDS or is_common(password) or len(set(password)) < 4:
        raise field_error(field, "password_too_common", "This password is too easy to guess.")


async def create_account(who: Identifier, name: str, password: str | None) -> Account:
    """Insert an account (inside the caller's transaction); a taken identifier is a 409."""
    if password is not None:
        check_password(password)
    taken = Account.exists().where((Account.email == who.email) if who.email else (Account.phone == who.phone))
    if await taken.run():
        raise Conflict("An account with this identifier already exists.", code="identifier_taken")
    account = Account(
        id=new_id("acc"),
        email=who.email,
        phone=who.phone,
        name=nfc(name),
        password_hash=await hash_password(password) if password is not None else None,
    )
    await account.save().run()
    return account


async def authenticate(who: Identifier, password: str) -> Account:
    """The account these credentials open, or NotAuthenticated (the same answer and time for every failure)."""
    query = Account.objects().where((Account.email == who.email) if who.email else (Account.phone == who.phone))
    account = await query.first().run()
    stored = account.password_hash if account and account.password_hash else _DUMMY_HASH
    valid = await verify_password(password, stored)
    if not account or not account.password_hash or not valid:
        raise NotAuthenticated("Wrong identifier or password.", code="invalid_credentials")
    return account


async def set_password(account_id: str, password: str) -> None:
    check_password(password)
    await Account.update({Account.password_hash: await hash_password(password)}).where(Account.id == account_id).run()


async def register(identifier_value: str, name: str, password: str) -> Account:
    """A buyer registers with an email or a Vietnamese mobile number; the identifier is refused as the password."""
    who = identifier(identifier_value)
    if password.lower() in {value for value in (who.email, who.email and who.email.split("@")[0], who.phone) if value}:
        raise field_error("password", "password_too_common", "Do not use your email or phone as the password.")
    async with transaction():
        return await create_account(who, name, password)


async def get_account(account_id: str) -> Account:
    """A live account; a deleted one (a tombstone) is a 404."""
    account = await Account.objects().where((Account.id == account_id) & Account.deleted_at.is_null()).first().run()
    if account is None:
        raise NotFound("No such account.")
    return account


async def _confirm_password(account: Account, password: str, field: str) -> None:
    if not account.password_hash or not await verify_password(password, account.password_hash):
        raise field_error(field, "wrong_password", "This is not the account's current password.")


async def change_password(account_id: str, current_password: str, new_password: str) -> None:
    """Replace the password after checking the current one (the caller ends the account's other sessions)."""
    check_password(new_password, "new_password")
    account = await get_account(account_id)
    await _confirm_password(account, current_password, "current_password")
    if current_password == new_password:
        raise field_error("new_password", "password_unchanged", "Choose a password different from the current one.")
    new_hash = await hash_password(new_password)
    await Account.update({Account.password_hash: new_hash}).where(Account.id == account_id).run()


async def delete_account(account_id: str, password: str) -> None:
    """Erase the account's personal data (identifiers, name, password, address book) and keep an anonymised
    tombstone row, so that orders that refer to it stay whole. The caller ends its sessions and drops its cart.

    An account that belongs to a seller must leave it (or hand it over) first: its member row would keep a seller
    reachable through an account nobody can sign in to any more.
    """
    account = await get_account(account_id)
    await _confirm_password(account, password, "password")
    if await SellerMember.exists().where(SellerMember.account == account_id).run():
        raise Conflict("Leave or hand over your seller before deleting this account.", code="account_is_seller_member")
    async with transaction():
        await Address.delete().where(Address.account == account_id).run()
        erased: dict[Any, Any] = {
            Account.email: None,
            Account.phone: None,
            Account.name: "",
            Account.password_hash: None,
            Account.deleted_at: datetime.now(UTC),
        }
        await Account.update(erased).where(Account.id == account_id).run()
        await record("account.deleted", {"account_id": account_id})


@dataclass(frozen=True)
class Session:
    """A signed-in account, stored server-side in Redis under the digest of its bearer token."""

    account_id: str
    created_at: float
    seller_id: str | None = None


class SessionStore:
    """Opaque bearer sessions in Redis with a sliding lifetime; the token itself is never stored."""

    def __init__(self, redis: Redis, prefix: str, ttl_s: int) -> None:
        self.redis = redis
        self.prefix = prefix
        self.ttl_s = ttl_s

    def _key(self, token: str) -> str:
        return f"{self.prefix}session:{digest(token)}"

    async def create(self, account_id: str, token_prefix: str, seller_id: str | None = None) -> str:
        token = new_token(token_prefix, 32)
        payload = json.dumps({"account_id": account_id, "created_at": time.time(), "seller_id": seller_id})
        await self.redis.set(self._key(token), payload, ex=self.ttl_s)
        return token

    async def get(self, token: str) -> Session | None:
        """The session, its lifetime extended; None when unknown or expired."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(self._key(token))
            pipe.expire(self._key(token), self.ttl_s)
            raw, _ = await pipe.execute()
        if raw is None:
            return None
        data = json.loads(raw)
        return Session(account_id=data["account_id"], created_at=data["created_at"], seller_id=data.get("seller_id"))

    async def delete(self, token: str) -> bool:
        """End the session; False when there was none (unknown or expired)."""
        return bool(await self.redis.delete(self._key(token)))


API_KEY_PREFIX = "mks_"


def cannot_end(token: str | None) -> DomainError:
    """The answer to a logout whose credential is not a live session: an API key is revoked, not logged out (409
    `api_key_not_a_session`); anything else has nothing to end (401)."""
    if token and token.startswith(API_KEY_PREFIX):
        return Conflict(
            "An API key is not a session and cannot be logged out; revoke it (DELETE /seller/v1/api-keys/{id}).",
            code="api_key_not_a_session",
        )
    return NotAuthenticated("This credential is not a live session: there is nothing to end.")
