"""Carts in Redis: one hash per cart, changed only by Lua scripts, so two devices never lose each other's lines.

Key `<prefix>cart:<cart id>`, three fields per line:
- `q:<variant id>`: the quantity;
- `p:<variant id>`: the price (đồng) when the line was added, to warn when it changed;
- `t:<variant id>`: when the line was added (milliseconds since the epoch), to keep lines in order;
and, once the buyer said where the parcels go, `d`: `<province code>:<ward code or nothing>` (PUT
/api/v1/carts/current/destination), which the cart's shipping estimate quotes to (a guest's carries over to the
customer's cart at sign-in, unless that one has its own). Each script reads, checks (line count, bounds) and writes
in one atomic step; the line count is the number of `q:` fields (HLEN / 3, rounded down, whether or not `d` is
there). The key expires 30 days (customers) or 7 days (guests) after its last change or read; an empty cart without
a destination has no key at all.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import IntEnum

from redis.asyncio import Redis

from market.shipping.estimates import Place

MAX_LINES = 100
CUSTOMER_TTL_S = 30 * 86_400
GUEST_TTL_S = 7 * 86_400

# ARGV: the variant id, then "<add|set> quantity price now_ms ttl max_lines least most available" in one string
# (one argument to encode instead of nine: this is the storefront's hottest write).
_CHANGE = """
local mode, quantity, price, now, ttl, max_lines, least, most, available =
  string.match(ARGV[2], '^(%a+) (%d+) (%d+) (%d+) (%d+) (%d+) (%d+) (%d+) (%d+)$')
local q = 'q:' .. ARGV[1]
local current = tonumber(redis.call('HGET', KEYS[1], q) or '0')
local wanted
if mode == 'add' then
  wanted = current + tonumber(quantity)
else
  if current == 0 then return {5, 0} end
  wanted = tonumber(quantity)
end
if current == 0 and redis.call('HLEN', KEYS[1]) >= 3 * tonumber(max_lines) then return {1, current} end
if wanted < tonumber(least) then return {2, current} end
if wanted > current then
  if tonumber(most) > 0 and wanted > tonumber(most) then return {3, current} end
  if wanted > tonumber(available) then return {4, current} end
end
redis.call('HSET', KEYS[1], q, wanted)
if current == 0 then redis.call('HSET', KEYS[1], 'p:' .. ARGV[1], price, 't:' .. ARGV[1], now) end
redis.call('EXPIRE', KEYS[1], ttl)
return {0, wanted}
"""
_REMOVE = """
local removed = redis.call('HDEL', KEYS[1], 'q:' .. ARGV[1], 'p:' .. ARGV[1], 't:' .. ARGV[1])
if removed > 0 and redis.call('EXISTS', KEYS[1]) == 1 then redis.call('EXPIRE', KEYS[1], ARGV[2]) end
return removed
"""
_MERGE = """
local caps = {}
for i = 3, #ARGV, 2 do caps[ARGV[i]] = tonumber(ARGV[i + 1]) end
local guest = redis.call('HGETALL', KEYS[1])
local lines = redis.call('HLEN', KEYS[2]) / 3
local merged, dropped = 0, 0
for i = 1, #guest, 2 do
  if string.sub(guest[i], 1, 2) == 'q:' then
    local variant = string.sub(guest[i], 3)
    local current = tonumber(redis.call('HGET', KEYS[2], guest[i]) or '0')
    if current == 0 and lines >= tonumber(ARGV[2]) then
      dropped = dropped + 1
    else
      local total = current + tonumber(guest[i + 1])
      local cap = caps[variant]
      if cap and cap > 0 and total > cap then total = math.max(cap, current) end
      redis.call('HSET', KEYS[2], guest[i], total)
      if current == 0 then
        lines = lines + 1
        redis.call('HSET', KEYS[2], 'p:' .. variant, redis.call('HGET', KEYS[1], 'p:' .. variant) or '0',
                   't:' .. variant, redis.call('HGET', KEYS[1], 't:' .. variant) or '0')
      end
      merged = merged + 1
    end
  end
end
local destination = redis.call('HGET', KEYS[1], 'd')
if destination then redis.call('HSETNX', KEYS[2], 'd', destination) end
redis.call('DEL', KEYS[1])
if redis.call('EXISTS', KEYS[2]) == 1 then redis.call('EXPIRE', KEYS[2], ARGV[1]) end
return {merged, dropped}
"""


class Outcome(IntEnum):
    """What a change script answered."""

    OK = 0
    CART_FULL = 1
    BELOW_MINIMUM = 2
    ABOVE_MAXIMUM = 3
    INSUFFICIENT_STOCK = 4
    NO_SUCH_LINE = 5


@dataclass(frozen=True)
class Bounds:
    """What a line of one variant may hold: `most` 0 means no per-order maximum."""

    least: int
    most: int
    available: int


@dataclass(frozen=True)
class StoredLine:
    variant_id: str
    quantity: int
    price_when_added: int
    added_at_ms: int


@dataclass(frozen=True)
class StoredCart:
    lines: list[StoredLine]
    destination: Place | None


@dataclass(frozen=True)
class CartRef:
    """A cart: its id, whether it is a customer's (30 days) or a guest's (7 days)."""

    id: str
    customer: bool

    @property
    def ttl_s(self) -> int:
        return CUSTOMER_TTL_S if self.customer else GUEST_TTL_S


def _destination(value: str | None) -> Place | None:
    if not value:
        return None
    province, _, ward = value.partition(":")
    return Place(int(province), int(ward) if ward else None)


class CartStore:
    """The Redis side of carts (no catalog knowledge: callers pass prices and bounds)."""

    def __init__(self, redis: Redis, prefix: str) -> None:
        self.redis = redis
        self.prefix = f"{prefix}cart:"
        self._change = redis.register_script(_CHANGE)
        self._remove = redis.register_script(_REMOVE)
        self._merge = redis.register_script(_MERGE)

    def key(self, cart_id: str) -> str:
        return f"{self.prefix}{cart_id}"

    async def change(
        self, cart: CartRef, variant_id: str, mode: str, quantity: int, price: int, bounds: Bounds
    ) -> tuple[Outcome, int]:
        """Add to (`mode="add"`) or set (`"set"`) a line's quantity; returns the outcome and the quantity now."""
        terms = (f"{mode} {quantity} {price} {int(time.time() * 1000)} {cart.ttl_s} {MAX_LINES} "
                 f"{bounds.least} {bounds.most} {bounds.available}")  # fmt: skip
        outcome, now = await self._change(keys=[self.key(cart.id)], args=[variant_id, terms])
        return Outcome(int(outcome)), int(now)

    async def remove(self, cart: CartRef, variant_id: str) -> bool:
        """Remove a line; False when there was none."""
        return bool(await self._remove(keys=[self.key(cart.id)], args=[variant_id, cart.ttl_s]))

    async def lines(self, cart: CartRef, *, renew: bool = True) -> list[StoredLine]:
        """The lines, oldest first; reading renews the cart's lifetime unless `renew` is false (checkout)."""
        return (await self.read(cart, renew=renew)).lines

    async def read(self, cart: CartRef, *, renew: bool = True) -> StoredCart:
        """The lines, oldest first, and the destination (one round trip); renews the cart's lifetime unless
        `renew` is false."""
        if renew:
            async with self.redis.pipeline(transaction=False) as pipe:
                pipe.hgetall(self.key(cart.id))
                pipe.expire(self.key(cart.id), cart.ttl_s)
                fields, _ = await pipe.execute()
        else:
            fields = await self.redis.hgetall(self.key(cart.id))  # type: ignore[misc]
        lines = [
            StoredLine(name[2:], int(value), int(fields.get(f"p:{name[2:]}", 0)), int(fields.get(f"t:{name[2:]}", 0)))
            for name, value in fields.items()
            if name.startswith("q:")
        ]
        lines.sort(key=lambda line: (line.added_at_ms, line.variant_id))
        return StoredCart(lines, _destination(fields.get("d")))

    async def set_destination(self, cart: CartRef, destination: Place) -> None:
        """Store where the parcels go (the cart's lifetime starts again, as with any change)."""
        value = f"{destination.province_code}:{destination.ward_code or ''}"
        async with self.redis.pipeline(transaction=True) as pipe:
            pipe.hset(self.key(cart.id), "d", value)
            pipe.expire(self.key(cart.id), cart.ttl_s)
            await pipe.execute()

    async def clear_destination(self, cart: CartRef) -> None:
        await self.redis.hdel(self.key(cart.id), "d")  # type: ignore[misc]

    async def variant_ids(self, cart: CartRef) -> list[str]:
        names: list[str] = await self.redis.hkeys(self.key(cart.id))  # type: ignore[misc]
        return [name[2:] for name in names if name.startswith("q:")]

    async def merge(self, guest: CartRef, customer: CartRef, caps: dict[str, int]) -> tuple[int, int]:
        """Move the guest cart's lines into the customer's (quantities added, capped per variant), then delete
        the guest cart; returns (lines merged, lines dropped because the customer's cart was full)."""
        args: list[str | int] = [customer.ttl_s, MAX_LINES]
        for variant_id, cap in caps.items():
            args += [variant_id, cap]
        merged, dropped = await self._merge(keys=[self.key(guest.id), self.key(customer.id)], args=args)
        return int(merged), int(dropped)

    async def drop(self, cart: CartRef) -> None:
        await self.redis.delete(self.key(cart.id))
