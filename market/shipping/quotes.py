"""Shipping quotes for checkout: the carrier's fees per seller order, with the published rate table as the fallback
when the carrier is slow or down, so that checkout never waits on it.

Quotes are kept 30 seconds in the process and five minutes in Redis. A quote is asked with a short timeout; after a
few failures in a row the carrier is not asked for a while (a circuit breaker) and the table answers at once.
Services whose transit time exceeds the shelf life of a product in the parcel are not offered; of the others the
cheapest is taken.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass

import structlog
from redis.asyncio import Redis

from market.core.errors import Conflict
from market.shipping.carrier import Carrier
from market.shipping.rates import ServiceQuote, services, zone

log = structlog.get_logger(__name__)
CACHE_TTL_S = 300
LOCAL_TTL_S = 30.0
BREAKER_FAILURES = 3
BREAKER_OPEN_S = 30.0


@dataclass(frozen=True)
class Route:
    origin_province: int
    destination_province: int
    weight_g: int
    cod: bool
    shelf_life_days: int


@dataclass(frozen=True)
class Chosen:
    service: str
    fee: int
    transit_days: int
    zone: str
    source: str  # "carrier" or "table"


class Quoter:
    def __init__(self, carrier: Carrier | None, redis: Redis, prefix: str, timeout_s: float) -> None:
        self.carrier, self.redis, self.prefix, self.timeout_s = carrier, redis, prefix, timeout_s
        self.failures = 0
        self.open_until = 0.0
        self.local: dict[str, tuple[float, list[ServiceQuote]]] = {}

    def _key(self, route: Route) -> str:
        steps = -(-route.weight_g // 500)
        return (f"{self.prefix}quote:{route.origin_province}:{route.destination_province}:{steps}:"
                f"{int(route.cod)}")  # fmt: skip

    async def choose(self, routes: list[Route]) -> list[Chosen]:
        """The service and fee of each route (one Redis round trip when every quote is cached).

        Raises:
            Conflict: `no_shipping_service` when no service is fast enough for a product's shelf life.
        """
        keys = [self._key(route) for route in routes]
        now = time.monotonic()
        known = {key: entry[1] for key in keys if (entry := self.local.get(key)) and entry[0] > now}
        missing = [key for key in keys if key not in known]
        if missing:  # the process's own copy first (30 s), then Redis (5 minutes), then the carrier
            try:
                shared = await self.redis.mget(missing)
            except Exception:  # the cache is an optimisation: without Redis, ask (or use the table)
                shared = [None] * len(missing)
            for key, hit in zip(missing, shared, strict=True):
                if hit is not None:
                    known[key] = [ServiceQuote(**item) for item in json.loads(hit)]
                    self._remember(key, known[key])
        chosen = []
        for route, key in zip(routes, keys, strict=True):
            if key in known:
                offered, source = known[key], "carrier"
            else:
                offered, source = await self._ask(route, key)
            chosen.append(self._pick(route, offered, source))
        return chosen

    def _remember(self, key: str, offered: list[ServiceQuote]) -> None:
        if len(self.local) > 10_000:
            self.local.clear()
        self.local[key] = (time.monotonic() + LOCAL_TTL_S, offered)

    async def _ask(self, route: Route, key: str) -> tuple[list[ServiceQuote], str]:
        table = services(route.weight_g, route.origin_province, route.destination_province)
        if self.carrier is None or time.monotonic() < self.open_until:
            return table, "table"
        try:
            quotes = await asyncio.wait_for(
                self.carrier.quote(route.weight_g, route.origin_province, route.destination_province,
                                   1 if route.cod else 0),
                self.timeout_s,
            )  # fmt: skip
        except Exception as exc:  # whatever the carrier does wrong, checkout goes on with the table
            self.failures += 1
            if self.failures >= BREAKER_FAILURES:
                self.open_until = time.monotonic() + BREAKER_OPEN_S
                log.warning("carrier_quotes_paused", seconds=BREAKER_OPEN_S, error=repr(exc))
            return table, "table"
        self.failures = 0
        offered = [ServiceQuote(q.service, q.fee, q.transit_days) for q in quotes]
        self._remember(key, offered)
        try:
            await self.redis.set(key, json.dumps([vars(q) for q in offered]), ex=CACHE_TTL_S)
        except Exception:
            log.warning("quote_not_cached", key=key)
        return offered, "carrier"

    @staticmethod
    def _pick(route: Route, offered: list[ServiceQuote], source: str) -> Chosen:
        fitting = [q for q in offered if q.transit_days <= route.shelf_life_days]
        if not fitting:
            raise Conflict(
                f"No shipping service reaches province {route.destination_province} within the "
                f"{route.shelf_life_days}-day shelf life of a product in this order.",
                code="no_shipping_service",
                shelf_life_days=route.shelf_life_days,
            )
        best = min(fitting, key=lambda q: (q.fee, q.transit_days))
        where = zone(route.origin_province, route.destination_province)
        return Chosen(best.service, best.fee, best.transit_days, where, source)
