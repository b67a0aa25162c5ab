"""What crosses HTTP for the administrative units catalog (msgspec)."""

from __future__ import annotations

import msgspec


class ProvinceOut(msgspec.Struct):
    """A province or centrally governed city: its official `code` is what addresses carry as `province_code`."""

    code: int
    name: str
    division_type: str
    codename: str
    object: str = "province"


class WardOut(msgspec.Struct):
    """A ward (phường), commune (xã) or special zone (đặc khu): its `code` is an address's `ward_code`."""

    code: int
    name: str
    division_type: str
    codename: str
    province_code: int
    object: str = "ward"


class ProvinceList(msgspec.Struct):
    """Every province, by code, in one answer (`has_more` is always false: the list is complete)."""

    data: list[ProvinceOut]
    units_version: str
    has_more: bool = False
    next_cursor: str | None = None
    object: str = "list"


class WardList(msgspec.Struct):
    """Every ward and commune of one province, by code, in one answer (`has_more` is always false)."""

    province: ProvinceOut
    data: list[WardOut]
    units_version: str
    has_more: bool = False
    next_cursor: str | None = None
    object: str = "list"
