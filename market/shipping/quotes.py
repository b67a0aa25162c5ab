"""Shipping quotes for checkout: the carrier's fees per seller order, with the published rate table as the fallback
when the carrier is slow or down, so that checkout never waits on it.

Quotes are kept 30 seconds in the process and five minutes in Redis. A quote is asked with a short timeout; after a
few failures in a row the carrier is not asked for a while (a circuit breaker) and the table answers at once.
Services whose transit time exceeds the shelf life of a product in the parcel are not offered; of the others the
cheapest is taken. Checkout (`choose`), the quote endpoint and the cart's estimate (`options`) all go through one
`Quoter` per process and build each seller's route with `parcel_route`, so a quote is what checkout charges.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

import structlog
from redis.asyncio import Redis

from market.catalog.reads import SaleVariant
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


@dataclass(frozen=True)
class Options:
    """What a route was offered and the service checkout takes of it: `chosen` is None when no service is fast
    enough for the shortest shelf life in the parcel."""

    route: Route
    zone: str
    offered: list[ServiceQuote]
    chosen: Chosen | None

    @property
    def refused(self) -> list[ServiceQuote]:
        """The services not offered because their transit time exceeds the shortest shelf life (perishability)."""
        return [quote for quote in self.offered if quote.transit_days > self.route.shelf_life_days]


class Packed(Protocol):
    """A quantity of a variant in a seller's parcel (checkout's `Bought`, a cart's line)."""

    @property
    def variant(self) -> SaleVariant: ...

    @property
    def quantity(self) -> int: ...


P = TypeVar("P", bound=Packed)


def by_seller(items: Iterable[P]) -> dict[str, list[P]]:
    """Items grouped into one parcel per seller, sellers in the order of their first item."""
    parcels: dict[str, list[P]] = {}
    for item in items:
        parcels.setdefault(item.variant.seller.id, []).append(item)
    return parcels


def parcel_route(items: Sequence[Packed], destination_province: int, cod: bool) -> Route:
    """The route of one seller's parcel: from the seller's pickup province, the weight of every item, and the
    shortest shelf life of any of them (the perishability rule)."""
    return Route(items[0].variant.pickup_province_code, destination_province,
                 sum(item.variant.weight_g * item.quantity for item in items), cod,
                 min(item.variant.shelf_life_days for item in items))  # fmt: skip


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
        """The service and fee of each route, as checkout charges it (see `options`).

        Raises:
            Conflict: `no_shipping_service` when no service is fast enough for a product's shelf life.
        """
        chosen = []
        for options in await self.options(routes):
            if options.chosen is None:
                raise Conflict(
                    f"No shipping service reaches province {options.route.destination_province} within the "
                    f"{options.route.shelf_life_days}-day shelf life of a product in this order.",
                    code="no_shipping_service",
                    shelf_life_days=options.route.shelf_life_days,
                )
            chosen.append(options.chosen)
        return chosen

    async def options(self, routes: Sequence[Route]) -> list[Options]:
        """Every service offered for each route and the one chosen (no I/O when every quote is in the process's
        copy, one Redis round trip when it is in Redis)."""
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
        # the carrier is asked once per route not cached, for all of them at once (many sellers wait one timeout)
        asking = {key: route for route, key in zip(routes, keys, strict=True) if key not in known}
        asked = await asyncio.gather(*(self._ask(route, key) for key, route in asking.items()))
        fresh = dict(zip(asking, asked, strict=True))
        answers = []
        for route, key in zip(routes, keys, strict=True):
            offered, source = (known[key], "carrier") if key in known else fresh[key]
            where = zone(route.origin_province, route.destination_province)
            answers.append(Options(route, where, offered, self._pick(route, offered, where, source)))
        return answers

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
    def _pick(route: Route, offered: list[ServiceQuote], where: str, source: str) -> Chosen | None:
        """The cheapest service fast enough for the shortest shelf life (the faster of two at one fee)."""
        fitting = [q for q in offered if q.transit_days <= route.shelf_life_days]
        if not fitting:
            return None
        best = min(fitting, key=lambda q: (q.fee, q.transit_days))
        return Chosen(best.service, best.fee, best.transit_days, where, source)
