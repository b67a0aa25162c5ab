"""The rate table: a fee by zone (same province, same region, across regions), weight and service.

It is what the carrier simulator quotes, and what checkout falls back on when the carrier does not answer a quote
in time (its fees are the carrier's published ones). Regions follow the official province codes, which run north to
south: the north up to Ninh Bình (37), the centre and Central Highlands from Thanh Hóa (38) to Lâm Đồng (68), the
south from Đồng Nai (75).
"""

from __future__ import annotations

from dataclasses import dataclass

FIRST_STEP_G = 1_000
STEP_G = 500

RATES: dict[str, tuple[int, int]] = {
    "province": (18_000, 3_000),
    "region": (25_000, 4_000),
    "national": (32_000, 6_000),
}
"""Zone -> (fee up to the first kilogram, fee per further 500 g started), in đồng."""


SERVICES: dict[str, tuple[float, dict[str, int]]] = {
    "EMS": (1.5, {"province": 1, "region": 2, "national": 3}),
    "BUU_KIEN": (1.0, {"province": 2, "region": 3, "national": 5}),
}
"""Service -> (fee factor, transit days by zone): EMS express, BUU_KIEN the standard parcel."""


@dataclass(frozen=True)
class Quote:
    zone: str
    fee: int


def region(province_code: int) -> str:
    if province_code <= 37:
        return "north"
    if province_code <= 68:
        return "central"
    return "south"


def zone(origin_province: int, destination_province: int) -> str:
    if origin_province == destination_province:
        return "province"
    if region(origin_province) == region(destination_province):
        return "region"
    return "national"


def quote(weight_g: int, origin_province: int, destination_province: int) -> Quote:
    """The fee for a parcel of `weight_g` grams from one province to another."""
    where = zone(origin_province, destination_province)
    first, per_step = RATES[where]
    extra_steps = -(-max(weight_g - FIRST_STEP_G, 0) // STEP_G)
    return Quote(where, first + extra_steps * per_step)


@dataclass(frozen=True)
class ServiceQuote:
    service: str
    fee: int
    transit_days: int


def services(weight_g: int, origin_province: int, destination_province: int) -> list[ServiceQuote]:
    """Every service's fee and transit time for a parcel."""
    base = quote(weight_g, origin_province, destination_province)
    return [ServiceQuote(name, int(base.fee * factor), days[base.zone]) for name, (factor, days) in SERVICES.items()]
