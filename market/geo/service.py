"""Look-ups in the administrative units catalog.

The catalog ships as data in the `vietnam-provinces` package (official codes: 34 provinces, 3,321 wards). Its
version is recorded with every address so that a later reform, or a carrier still on older codes, can be mapped.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.metadata import version

from vietnam_provinces import Province, Ward

from market.core.errors import FieldError
from market.core.schemas import UnitOut

UNITS_VERSION = f"2025-07-01/vietnam-provinces-{version('vietnam-provinces')}"


@dataclass(frozen=True)
class Unit:
    """A province or a ward with its official code; `division_type` says which kind ("tỉnh", "phường", "xã", ...)
    and `codename` is its name folded to ASCII ("tay_ninh")."""

    code: int
    name: str
    division_type: str = ""
    codename: str = ""


@cache
def _provinces() -> dict[int, Unit]:
    return {int(p.code): Unit(int(p.code), p.name, p.division_type.value, p.codename) for p in Province.iter_all()}


@cache
def _wards() -> dict[int, tuple[Unit, int]]:
    return {
        int(w.code): (Unit(int(w.code), w.name, w.division_type.value, w.codename), int(w.province_code))
        for w in Ward.iter_all()
    }


@lru_cache(maxsize=128)  # a caller's code may be anything: bounded
def wards_of(province_code: int) -> tuple[Unit, ...]:
    """Every ward and commune of a province, by code (empty for a code that is not a province)."""
    found = (unit for unit, province_of in _wards().values() if province_of == province_code)
    return tuple(sorted(found, key=lambda unit: unit.code))


def province(code: int) -> Unit | None:
    """The province with this code, or None."""
    return _provinces().get(code)


def ward(code: int, *, province_code: int | None = None) -> Unit | None:
    """The ward with this code (and in this province when given), or None."""
    found = _wards().get(code)
    if found is None or (province_code is not None and found[1] != province_code):
        return None
    return found[0]


def provinces() -> list[Unit]:
    """Every province, by code."""
    return sorted(_provinces().values(), key=lambda unit: unit.code)


def place_errors(province_code: int, ward_code: int | None, prefix: str = "") -> list[FieldError]:
    """Why a province (and ward, when given) is not a place of the catalog; empty when it is.

    Field names are `{prefix}province_code` and `{prefix}ward_code`, e.g. prefix "pickup_address.".
    """
    if province(province_code) is None:
        return [FieldError(f"{prefix}province_code", "unknown_province", "No such province.")]
    if ward_code is not None and ward(ward_code, province_code=province_code) is None:
        return [FieldError(f"{prefix}ward_code", "unknown_ward", "No such ward in this province.")]
    return []


def province_out(code: int) -> UnitOut:
    """The province as responses show it (its code when unknown to this catalog version)."""
    found = province(code)
    return UnitOut(code, found.name if found else str(code))


def ward_out(code: int) -> UnitOut:
    """The ward as responses show it (its code when unknown to this catalog version)."""
    found = ward(code)
    return UnitOut(code, found.name if found else str(code))
