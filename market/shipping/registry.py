"""The carrier of this deployment, built once per process from the settings."""

from __future__ import annotations

from redis.asyncio import Redis

from market.settings import Settings
from market.shipping.quotes import Quoter
from market.shipping.vnpost import VnPost

_carriers: dict[int, VnPost] = {}


def carrier_for(settings: Settings) -> VnPost | None:
    """The Vietnam Post adapter, or None when `CARRIER_API_BASE` is not set."""
    if not settings.carrier_api_base:
        return None
    carrier = _carriers.get(id(settings))
    if carrier is None:
        carrier = _carriers[id(settings)] = VnPost(
            settings.carrier_api_base, settings.carrier_partner_id, settings.carrier_partner_secret,
            settings.carrier_webhook_secret, settings.carrier_timeout_s,
        )  # fmt: skip
    return carrier


_quoters: dict[int, Quoter] = {}


def quoter_for(settings: Settings, redis: Redis) -> Quoter:
    """The process's quoter on this Redis client (its circuit breaker is per process)."""
    quoter = _quoters.get(id(redis))
    if quoter is None or quoter.redis is not redis:
        quoter = _quoters[id(redis)] = Quoter(carrier_for(settings), redis, settings.redis_key_prefix,
                                              settings.carrier_quote_timeout_s)  # fmt: skip
    return quoter


async def close_clients() -> None:
    """Close the HTTP clients of the carriers this process made (at shutdown)."""
    _quoters.clear()
    while _carriers:
        await _carriers.popitem()[1].close()
