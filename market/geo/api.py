"""`GET /api/v1/geo/provinces` and `.../provinces/{code}/wards`: the administrative units catalog for address forms.

The lists are small and complete (34 provinces; at most 168 wards in one province), so they are not paginated: one
answer holds the whole list, in the list envelope with `has_more: false`. They change only when the catalog
package does (a deployment), so each body is encoded once per process and served with `Cache-Control: public` and
a strong `ETag` (a digest of the body, so of the catalog version too); a matching `If-None-Match` is a 304.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from typing import Annotated

import msgspec
from litestar import Controller, Response, get
from litestar.datastructures import CacheControlHeader, ResponseHeader
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import HeaderParameter

from market.core.errors import NotFound
from market.geo import service
from market.geo.schemas import ProvinceList, ProvinceOut, WardList, WardOut

MAX_AGE_S = 86_400
CACHE_CONTROL = f"public, max-age={MAX_AGE_S}"
NOT_MODIFIED = 304
_CODE = re.compile(r"[0-9]{1,3}")

IfNoneMatch = Annotated[
    str | None,
    HeaderParameter(
        name="If-None-Match", required=False, description="The `ETag` of an earlier answer: 304 when unchanged."
    ),
]


@dataclass(frozen=True)
class Cacheable:
    """An encoded answer and its strong entity tag."""

    body: bytes
    etag: str


def cacheable(value: msgspec.Struct) -> Cacheable:
    body = msgspec.json.encode(value)
    return Cacheable(body, f'"{hashlib.sha256(body).hexdigest()[:32]}"')


def matches(if_none_match: str | None, etag: str) -> bool:
    """Whether an If-None-Match header names this entity tag (weak comparison, as RFC 9110 says for it)."""
    if not if_none_match:
        return False
    tags = (tag.strip().removeprefix("W/") for tag in if_none_match.split(","))
    return any(tag in ("*", etag) for tag in tags)


def answer(cached: Cacheable, if_none_match: str | None) -> Response[bytes]:
    headers = {"ETag": cached.etag}  # Cache-Control: the controller's, which overrides the app's no-store
    if matches(if_none_match, cached.etag):
        return Response(b"", status_code=NOT_MODIFIED, headers=headers)
    return Response(cached.body, media_type="application/json", headers=headers)


def _province_out(unit: service.Unit) -> ProvinceOut:
    return ProvinceOut(unit.code, unit.name, unit.division_type, unit.codename)


@cache
def _provinces() -> Cacheable:
    return cacheable(ProvinceList([_province_out(unit) for unit in service.provinces()], service.UNITS_VERSION))


@lru_cache(maxsize=64)
def _wards(code: int) -> Cacheable:
    province = service.province(code)
    if province is None:
        raise NotFound("No such province.")
    wards = [WardOut(unit.code, unit.name, unit.division_type, unit.codename, code) for unit in service.wards_of(code)]
    return cacheable(WardList(_province_out(province), wards, service.UNITS_VERSION))


def _province_code(text: str) -> int:
    """A province code of the path ("80", or "01" as the official lists print it); anything else is a 404."""
    if not _CODE.fullmatch(text):
        raise NotFound("No such province.")
    return int(text)


_NOT_MODIFIED = ResponseSpec(None, description="Not modified: the `ETag` sent in `If-None-Match` is current.")
_HEADERS = [
    ResponseHeader(name="ETag", documentation_only=True, description="The answer's entity tag (strong)."),
    ResponseHeader(name="Cache-Control", documentation_only=True, description=f"`{CACHE_CONTROL}`."),
]


class GeoController(Controller):
    """Provinces and their wards (the units catalog since 1 July 2025), with the catalog's version."""

    path = "/api/v1/geo"
    tags = ["storefront: places"]
    cache_control = CacheControlHeader(public=True, max_age=MAX_AGE_S)

    @get(
        "/provinces",
        operation_id="geo_provinces_list",
        response_headers=_HEADERS,
        responses={200: ResponseSpec(ProvinceList, description="Every province."), 304: _NOT_MODIFIED},
    )
    async def provinces(self, if_none_match: IfNoneMatch) -> Response[bytes]:
        """Every province and centrally governed city, by code, in one answer (not paginated)."""
        return answer(_provinces(), if_none_match)

    @get(
        "/provinces/{code:str}/wards",
        operation_id="geo_wards_list",
        response_headers=_HEADERS,
        responses={200: ResponseSpec(WardList, description="Every ward of the province."), 304: _NOT_MODIFIED},
    )
    async def wards(self, code: str, if_none_match: IfNoneMatch) -> Response[bytes]:
        """Every ward and commune of a province, by code, in one answer (not paginated); 404 for no such province."""
        return answer(_wards(_province_code(code)), if_none_match)
