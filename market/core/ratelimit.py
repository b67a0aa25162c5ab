"""Rate limits on sign-in and registration, in Redis, per client address and per account.

- per client address: every attempt counts, AUTH_ATTEMPTS_PER_ADDRESS a minute, checked before any password is
  hashed, so a flood costs one Redis call per request, never an argon2 hash; an address over its limit restarts its
  minute with every further attempt, so a flood that goes on stays refused (and hashes nothing) until it stops;
- per account (the normalised email or phone, stored as its digest): failed sign-ins (and password checks of a
  signed-in account), and registration attempts, AUTH_FAILURES_PER_ACCOUNT per 15 minutes; once reached, even the
  right password waits, so that guessing one account from many addresses gets nowhere. An attempt is reserved
  before the password is hashed and given back when it was right, so concurrent guesses cannot slip past together.
Over a limit: 429 `rate_limited` with `Retry-After`: the seconds until every limit that would refuse the next
attempt lets it through (an address refused for its minute whose account has spent its 15 minutes is told the
account's wait, not the minute's). Each window is one Redis
counter made atomic by a Lua script (INCR, and EXPIRE when new), so every API process shares it.

The client address comes from the HTTP layer (`market.web.clients.client_address`).
"""

from __future__ import annotations

from typing import Any

from market.core.errors import RateLimited
from market.core.resources import Resources
from market.core.security import digest

ADDRESS_WINDOW_S = 60
ACCOUNT_WINDOW_S = 15 * 60
_HIT = """
local count = redis.call('INCR', KEYS[1])
local ttl = redis.call('TTL', KEYS[1])
if ttl < 0 or (ARGV[2] == '1' and count > tonumber(ARGV[3])) then
  redis.call('EXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
"""
_REFUND = """
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
if count > 0 then redis.call('DECR', KEYS[1]) end
return count
"""


class AuthLimits:
    """The limits of one request's sign-in or registration attempt."""

    def __init__(self, resources: Resources, action: str) -> None:
        self.redis = resources.redis
        self.settings = resources.settings
        self.prefix = f"{resources.settings.redis_key_prefix}auth-limit:{action}"
        self._hit = self.redis.register_script(_HIT)
        self._refund = self.redis.register_script(_REFUND)

    async def address(self, address: str, limit: int | None = None, *, account_key: str | None = None) -> None:
        """Count this attempt against the client address; 429 once over the limit (and until it pauses a minute).

        Args:
            address: the client's address (`market.web.clients.client_address`).
            limit: attempts a minute (default: `AUTH_ATTEMPTS_PER_ADDRESS`).
            account_key: the account the attempt is for, when known: if its own budget is spent too, the answer's
                `Retry-After` is the longer wait, so a client that waits as told is not refused again."""
        key = f"{self.prefix}:address:{address}"
        per_minute = self.settings.auth_attempts_per_address if limit is None else limit
        count, ttl = await self._hit(keys=[key], args=[ADDRESS_WINDOW_S, 1, per_minute])
        if int(count) > per_minute:
            _refuse(max(int(ttl), await self._account_wait(account_key) if account_key else 0))

    async def account_attempt(self, account_key: str) -> None:
        """Reserve an attempt at the account before its password is checked; 429 when none is left. Reserving
        (not counting failures afterwards) keeps concurrent guesses from slipping past the limit together."""
        await self._count(self._account_key(account_key), self.settings.auth_failures_per_account, ACCOUNT_WINDOW_S)

    async def account_succeeded(self, account_key: str) -> None:
        """Give the attempt back: only failures use up the account's budget."""
        await self._refund(keys=[self._account_key(account_key)])

    async def account(self, account_key: str) -> None:
        """Count an attempt against the account; 429 once over the limit (registration)."""
        await self._count(self._account_key(account_key), self.settings.auth_failures_per_account, ACCOUNT_WINDOW_S)

    async def _account_wait(self, account_key: str) -> int:
        """Seconds until the account may try again (0 when it has attempts left), read without counting one."""
        async with self.redis.pipeline(transaction=False) as pipe:
            pipe.get(self._account_key(account_key))
            pipe.ttl(self._account_key(account_key))
            count, ttl = await pipe.execute()
        spent = count is not None and int(count) >= self.settings.auth_failures_per_account
        return max(int(ttl), 0) if spent else 0

    def _account_key(self, account_key: str) -> str:
        return f"{self.prefix}:account:{digest(account_key)[:32]}"

    async def _count(self, key: str, limit: int, window_s: int) -> None:
        count, ttl = await self._hit(keys=[key], args=[window_s, 0, limit])
        if int(count) > limit:
            _refuse(ttl)


def _refuse(ttl: Any) -> None:
    retry_after = max(int(ttl or 1), 1)
    raise RateLimited(f"Too many attempts; retry in {retry_after} s.", retry_after_s=retry_after)
