"""A buyer's address book: validated against the units catalog, phones in E.164, private to its owner."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from market.accounts.tables import Address
from market.geo.service import UNITS_VERSION
from tests.buyers import mobile_buyer

HUE_WARD = 19_900  # Phường Thuận An, Huế (province 46), not of Tây Ninh


def address(**overrides: Any) -> dict[str, Any]:
    body = {"recipient_name": "Nguyễn Văn Ba", "phone": "0912 345 678", "street": "Ấp Lộc Trát, tổ 3",
            "ward_code": 25708, "province_code": 80}  # fmt: skip
    body.update(overrides)
    return body


async def test_addresses_are_normalised_and_carry_the_units_version(client: httpx.AsyncClient) -> None:
    buyer = await mobile_buyer(client)
    created = await client.post("/api/v1/me/addresses", json=address(), headers=buyer["headers"])
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["id"].startswith("adr_") and body["object"] == "address"
    assert body["phone"] == "+84912345678"
    assert body["province"] == {"code": 80, "name": "Tây Ninh"}
    assert body["ward"]["code"] == 25708 and body["ward"]["name"]
    assert body["units_version"] == UNITS_VERSION
    assert body["is_default"] is True  # the first address


async def test_one_default_address_at_a_time(client: httpx.AsyncClient) -> None:
    buyer = await mobile_buyer(client)
    headers = buyer["headers"]
    first = (await client.post("/api/v1/me/addresses", json=address(), headers=headers)).json()
    second = (await client.post("/api/v1/me/addresses", json=address(is_default=True), headers=headers)).json()
    listed = (await client.get("/api/v1/me/addresses", headers=headers)).json()["data"]
    assert [(a["id"], a["is_default"]) for a in listed] == [(second["id"], True), (first["id"], False)]
    undefault = await client.patch(f"/api/v1/me/addresses/{second['id']}", json={"is_default": False}, headers=headers)
    assert undefault.status_code == 409 and undefault.json()["code"] == "default_address_required"
    assert (await client.delete(f"/api/v1/me/addresses/{second['id']}", headers=headers)).status_code == 204
    assert (await client.get(f"/api/v1/me/addresses/{first['id']}", headers=headers)).json()["is_default"] is True


async def test_changing_the_province_rechecks_the_ward(client: httpx.AsyncClient) -> None:
    buyer = await mobile_buyer(client)
    created = (await client.post("/api/v1/me/addresses", json=address(), headers=buyer["headers"])).json()
    moved = await client.patch(
        f"/api/v1/me/addresses/{created['id']}", json={"province_code": 46}, headers=buyer["headers"]
    )
    assert moved.status_code == 422 and moved.json()["errors"][0] == {
        "field": "ward_code", "code": "unknown_ward", "message": "No such ward in this province."
    }  # fmt: skip
    both = await client.patch(f"/api/v1/me/addresses/{created['id']}",
                              json={"province_code": 46, "ward_code": HUE_WARD, "street": " 5 Lê Lợi "},
                              headers=buyer["headers"])  # fmt: skip
    assert both.status_code == 200, both.text
    assert both.json()["province"]["code"] == 46 and both.json()["street"] == "5 Lê Lợi"


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"province_code": 81}, "province_code", "unknown_province"),
        ({"ward_code": HUE_WARD}, "ward_code", "unknown_ward"),
        ({"phone": "028 3812 3456"}, "phone", "invalid_phone"),
        ({"phone": "+1 650 253 0000"}, "phone", "invalid_phone"),
        ({"recipient_name": "   "}, "recipient_name", "required"),
        ({"account": "acc_x"}, "account", "unknown_field"),
    ],
)
async def test_bad_addresses_name_the_field_and_write_nothing(
    client: httpx.AsyncClient, change: dict, field: str, code: str
) -> None:
    buyer = await mobile_buyer(client)
    response = await client.post("/api/v1/me/addresses", json=address(**change), headers=buyer["headers"])
    assert response.status_code == 422, response.text
    assert (field, code) in [(error["field"], error["code"]) for error in response.json()["errors"]]
    assert await Address.count() == 0


async def test_another_buyers_address_is_a_404(client: httpx.AsyncClient) -> None:
    owner, other = await mobile_buyer(client), await mobile_buyer(client)
    created = (await client.post("/api/v1/me/addresses", json=address(), headers=owner["headers"])).json()
    path = f"/api/v1/me/addresses/{created['id']}"
    assert (await client.get(path, headers=other["headers"])).status_code == 404
    assert (await client.patch(path, json={"street": "x"}, headers=other["headers"])).status_code == 404
    assert (await client.delete(path, headers=other["headers"])).status_code == 404
    assert (await client.get("/api/v1/me/addresses", headers=other["headers"])).json()["data"] == []
    assert (await client.get(path, headers=owner["headers"])).status_code == 200


async def test_an_address_book_holds_twenty(client: httpx.AsyncClient) -> None:
    buyer = await mobile_buyer(client)
    for _ in range(20):
        assert (await client.post("/api/v1/me/addresses", json=address(), headers=buyer["headers"])).status_code == 201
    full = await client.post("/api/v1/me/addresses", json=address(), headers=buyer["headers"])
    assert full.status_code == 409 and full.json()["code"] == "address_book_full"


async def test_the_address_book_needs_a_session(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/me/addresses")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"
