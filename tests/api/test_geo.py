"""The administrative units catalog as storefronts read it to build an address form: complete, versioned, cacheable."""

from __future__ import annotations

import httpx

from market.geo.service import UNITS_VERSION
from tests.factories import TAY_NINH, TRANG_BANG


async def test_provinces_are_the_34_of_the_catalog_with_its_version(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/geo/provinces")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["object"], body["has_more"], body["next_cursor"]) == ("list", False, None)
    assert body["units_version"] == UNITS_VERSION
    assert len(body["data"]) == 34
    codes = [province["code"] for province in body["data"]]
    assert codes == sorted(codes)
    tay_ninh = next(province for province in body["data"] if province["code"] == TAY_NINH)
    assert tay_ninh == {"object": "province", "code": 80, "name": "Tây Ninh", "division_type": "tỉnh",
                        "codename": "tay_ninh"}  # fmt: skip
    assert sorted(response.headers["cache-control"].split(", ")) == ["max-age=86400", "public"]  # never no-store
    assert response.headers["etag"].startswith('"')


async def test_wards_of_a_province_are_all_of_them_in_one_answer(client: httpx.AsyncClient) -> None:
    response = await client.get(f"/api/v1/geo/provinces/{TAY_NINH}/wards")

    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["object"], body["has_more"], body["next_cursor"]) == ("list", False, None)
    assert body["units_version"] == UNITS_VERSION
    assert body["province"]["code"] == TAY_NINH
    assert len(body["data"]) > 90  # Tây Ninh took in Long An: 96 wards and communes
    assert all(ward["province_code"] == TAY_NINH and ward["object"] == "ward" for ward in body["data"])
    trang_bang = next(ward for ward in body["data"] if ward["code"] == TRANG_BANG)
    assert (trang_bang["name"], trang_bang["division_type"]) == ("Phường Trảng Bàng", "phường")
    assert len({ward["code"] for ward in body["data"]}) == len(body["data"])
    assert "public" in response.headers["cache-control"]


async def test_a_matching_if_none_match_is_a_304_without_a_body(client: httpx.AsyncClient) -> None:
    for path in ("/api/v1/geo/provinces", f"/api/v1/geo/provinces/{TAY_NINH}/wards"):
        first = await client.get(path)
        etag = first.headers["etag"]

        again = await client.get(path, headers={"If-None-Match": etag})
        listed = await client.get(path, headers={"If-None-Match": f'"other", W/{etag}'})
        stale = await client.get(path, headers={"If-None-Match": '"not-this-one"'})

        assert again.status_code == 304 and again.content == b""
        assert again.headers["etag"] == etag and again.headers["cache-control"] == first.headers["cache-control"]
        assert listed.status_code == 304
        assert stale.status_code == 200 and stale.json() == first.json()


async def test_the_wards_of_two_provinces_have_different_etags(client: httpx.AsyncClient) -> None:
    tay_ninh = await client.get(f"/api/v1/geo/provinces/{TAY_NINH}/wards")
    hanoi = await client.get("/api/v1/geo/provinces/1/wards")

    assert tay_ninh.headers["etag"] != hanoi.headers["etag"]
    refused = await client.get("/api/v1/geo/provinces/1/wards", headers={"If-None-Match": tay_ninh.headers["etag"]})
    assert refused.status_code == 200


async def test_an_unknown_province_is_a_404(client: httpx.AsyncClient) -> None:
    for code in ("2", "99", "0", "abc", "1e3", "-1"):  # 2 was Hà Giang: merged into Tuyên Quang in 2025
        response = await client.get(f"/api/v1/geo/provinces/{code}/wards")

        assert response.status_code == 404, (code, response.text)
        assert response.headers["content-type"].startswith("application/problem+json")
        assert response.json()["code"] == "not_found"
    nul = await client.get("/api/v1/geo/provinces/%00/wards")  # the input guard refuses it before the route
    assert nul.status_code == 422 and nul.json()["errors"][0] == {
        "field": "code", "code": "control_character", "message": nul.json()["errors"][0]["message"]}  # fmt: skip


async def test_a_leading_zero_names_the_same_province(client: httpx.AsyncClient) -> None:
    padded = await client.get("/api/v1/geo/provinces/01/wards")

    assert padded.status_code == 200
    assert padded.json()["province"]["code"] == 1
