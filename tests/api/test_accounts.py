"""Buyer accounts: registration, sign-in by cookie or bearer, CSRF, password change, erasure."""

from __future__ import annotations

import httpx
import pytest
from litestar import Litestar

from market.accounts.tables import Account
from market.core.resources import Resources
from market.core.security import digest
from tests.buyers import PASSWORD, buyer_body, csrf, mobile_buyer, web_buyer, web_client
from tests.factories import bearer, registered_seller


async def test_web_registration_sets_a_hardened_cookie_and_no_token(app: Litestar, client: httpx.AsyncClient) -> None:
    async with web_client(app) as web:
        response = await web.post("/api/v1/accounts", json=buyer_body(identifier="Hoa.Pham@Example.VN"))
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["session"]["token"] is None and body["session"]["client"] == "web"
        assert body["account"]["email"] == "hoa.pham@example.vn" and body["account"]["id"].startswith("acc_")
        cookies = response.headers.get_list("set-cookie")
        session_cookie = next(c for c in cookies if c.startswith("market_session=bss_"))
        for flag in ("HttpOnly", "Secure", "SameSite=lax", "Path=/"):
            assert flag in session_cookie
        csrf_cookie = next(c for c in cookies if c.startswith("market_csrf="))
        assert "Secure" in csrf_cookie and "HttpOnly" not in csrf_cookie
        me = await web.get("/api/v1/me")
        assert me.status_code == 200 and me.json()["id"] == body["account"]["id"]
    assert (await client.get("/api/v1/me")).status_code == 401  # another client, no cookie


async def test_mobile_registration_with_a_phone_gets_a_bearer_token_and_no_cookie(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/accounts", json=buyer_body(identifier="0912 345 678", client="mobile"))
    assert response.status_code == 201, response.text
    assert "set-cookie" not in response.headers
    token = response.json()["session"]["token"]
    assert token.startswith("bss_")
    me = await client.get("/api/v1/me", headers=bearer(token))
    assert me.json()["phone"] == "+84912345678" and me.json()["email"] is None


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"identifier": "not-an-email@"}, "identifier", "invalid_email"),
        ({"identifier": "0123"}, "identifier", "invalid_phone"),
        ({"identifier": "02838123456"}, "identifier", "invalid_phone"),  # a landline
        ({"password": "short"}, "password", "password_too_short"),
        ({"password": "matkhau2024!"}, "password", "password_too_common"),
        ({"password": "aaaaaaaaaaaa"}, "password", "password_too_common"),
        ({"identifier": "0987654321", "password": "0987654321"}, "password", "password_too_common"),
        ({"role": "admin"}, "role", "unknown_field"),
        ({"client": "desktop"}, "client", "invalid_choice"),
        ({"name": ""}, "name", "out_of_range"),
    ],
)
async def test_bad_registration_names_the_field_and_writes_nothing(
    client: httpx.AsyncClient, change: dict, field: str, code: str
) -> None:
    response = await client.post("/api/v1/accounts", json=buyer_body(**change))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert (field, code) in [(error["field"], error["code"]) for error in response.json()["errors"]]
    assert await Account.count() == 0


async def test_an_identifier_registers_once(client: httpx.AsyncClient) -> None:
    first = await mobile_buyer(client)
    again = await client.post("/api/v1/accounts", json=buyer_body(identifier=first["identifier"].upper()))
    assert again.status_code == 409 and again.json()["code"] == "identifier_taken"


async def test_a_seller_owner_signs_in_as_a_buyer_with_the_same_account(client: httpx.AsyncClient) -> None:
    seller = await registered_seller(client)
    body = {"identifier": seller["owner"]["identifier"], "password": seller["owner"]["password"], "client": "mobile"}
    login = await client.post("/api/v1/sessions", json=body)
    assert login.status_code == 201, login.text
    assert (await client.get("/api/v1/me", headers=bearer(login.json()["token"]))).status_code == 200


async def test_login_failures_are_uniform(client: httpx.AsyncClient) -> None:
    buyer = await mobile_buyer(client)
    wrong = await client.post("/api/v1/sessions", json={"identifier": buyer["identifier"], "password": "x" * 12})
    unknown = await client.post("/api/v1/sessions", json={"identifier": "ghost@example.vn", "password": "x" * 12})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json()["code"] == unknown.json()["code"] == "invalid_credentials"
    assert wrong.json()["detail"] == unknown.json()["detail"]


async def test_every_login_gets_a_new_session_id_and_ends_the_one_it_came_with(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    async with web_client(app) as web:
        buyer = await web_buyer(web)
        first = web.cookies["market_session"]
        credentials = {"identifier": buyer["identifier"], "password": PASSWORD}
        relogin = await web.post("/api/v1/sessions", json=credentials, headers=csrf(web))
        assert relogin.status_code == 201, relogin.text
        second = web.cookies["market_session"]
        assert second != first
        assert (await client.get("/api/v1/me", headers={"Cookie": f"market_session={first}"})).status_code == 401
        assert (await web.get("/api/v1/me")).status_code == 200

    async with web_client(app) as victim:  # session fixation: a planted cookie never becomes the session
        victim.cookies.set("market_session", "bss_" + "A" * 43, domain="testserver.local")
        assert (await victim.get("/api/v1/me")).status_code == 401  # any GET hands out the CSRF cookie
        login = await victim.post("/api/v1/sessions", json=credentials, headers=csrf(victim))
        assert login.status_code == 201
        assert victim.cookies["market_session"] not in ("bss_" + "A" * 43, first, second)


async def test_logout_ends_the_session_and_clears_the_cookie(app: Litestar, client: httpx.AsyncClient) -> None:
    buyer = await mobile_buyer(client)
    assert (await client.delete("/api/v1/sessions/current", headers=buyer["headers"])).status_code == 204
    assert (await client.get("/api/v1/me", headers=buyer["headers"])).status_code == 401
    async with web_client(app) as web:
        await web_buyer(web)
        out = await web.delete("/api/v1/sessions/current", headers=csrf(web))
        assert out.status_code == 204
        assert any(c.startswith('market_session="";') for c in out.headers.get_list("set-cookie"))
        assert (await web.get("/api/v1/me")).status_code == 401


async def test_cookie_requests_need_the_csrf_header_and_bearer_requests_do_not(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    async with web_client(app) as web:
        await web_buyer(web)
        address = {"recipient_name": "Hoa", "phone": "0912345678", "street": "12 Lê Lợi", "ward_code": 25708,
                   "province_code": 80}  # fmt: skip
        refused = await web.post("/api/v1/me/addresses", json=address)
        assert refused.status_code == 403 and refused.json()["code"] == "csrf_failed"
        forged = await web.post("/api/v1/me/addresses", json=address, headers={"X-CSRF-Token": "0" * 128})
        assert forged.status_code == 403
        assert (await web.post("/api/v1/me/addresses", json=address, headers=csrf(web))).status_code == 201
    buyer = await mobile_buyer(client)
    assert (await client.post("/api/v1/me/addresses", json=address, headers=buyer["headers"])).status_code == 201


async def test_a_bearer_header_never_falls_back_to_the_cookie(app: Litestar) -> None:
    async with web_client(app) as web:
        await web_buyer(web)
        response = await web.get("/api/v1/me", headers=bearer("bss_forged"))
        assert response.status_code == 401


async def test_sign_in_must_be_json_so_no_cross_site_form_can_sign_a_victim_in(client: httpx.AsyncClient) -> None:
    buyer = await mobile_buyer(client)
    body = f'{{"identifier": "{buyer["identifier"]}", "password": "{PASSWORD}"}}'
    response = await client.post("/api/v1/sessions", content=body, headers={"Content-Type": "text/plain"})
    assert response.status_code == 403 and response.json()["code"] == "csrf_failed"


async def test_password_change_ends_the_other_sessions_and_renews_this_one(
    app: Litestar, client: httpx.AsyncClient
) -> None:
    phone_session = await mobile_buyer(client)
    async with web_client(app) as web:
        login = await web.post(
            "/api/v1/sessions", json={"identifier": phone_session["identifier"], "password": PASSWORD}
        )
        assert login.status_code == 201
        wrong = await client.post(
            "/api/v1/me/password",
            json={"current_password": "not-my-password", "new_password": "thanh-long-ruot-do-2026"},
            headers=phone_session["headers"],
        )
        assert wrong.status_code == 422 and wrong.json()["errors"][0]["code"] == "wrong_password"
        changed = await client.post(
            "/api/v1/me/password",
            json={"current_password": PASSWORD, "new_password": "thanh-long-ruot-do-2026"},
            headers=phone_session["headers"],
        )
        assert changed.status_code == 200, changed.text
        new_token = changed.json()["token"]
        assert new_token and new_token != phone_session["token"]
        assert (await client.get("/api/v1/me", headers=phone_session["headers"])).status_code == 401
        assert (await web.get("/api/v1/me")).status_code == 401  # the browser's session ended too
        assert (await client.get("/api/v1/me", headers=bearer(new_token))).status_code == 200
    old = await client.post("/api/v1/sessions", json={"identifier": phone_session["identifier"], "password": PASSWORD})
    assert old.status_code == 401


async def test_deleting_the_account_erases_personal_data_and_keeps_a_tombstone(
    client: httpx.AsyncClient, resources: Resources
) -> None:
    buyer = await mobile_buyer(client, identifier="0909123456")
    address = {"recipient_name": "Hoa", "phone": "0909123456", "street": "1 Trần Hưng Đạo", "ward_code": 25708,
               "province_code": 80}  # fmt: skip
    await client.post("/api/v1/me/addresses", json=address, headers=buyer["headers"])
    no_password = await client.request("DELETE", "/api/v1/me", json={"password": "wrong-password"},
                                       headers=buyer["headers"])  # fmt: skip
    assert no_password.status_code == 422
    deleted = await client.request("DELETE", "/api/v1/me", json={"password": PASSWORD}, headers=buyer["headers"])
    assert deleted.status_code == 204, deleted.text
    assert (await client.get("/api/v1/me", headers=buyer["headers"])).status_code == 401
    row = await Account.objects().where(Account.id == buyer["account"]["id"]).first()
    assert row is not None and row.deleted_at is not None
    erased: tuple[object, ...] = (row.email, row.phone, row.name, row.password_hash)
    assert erased == (None, None, "", None)
    session_key = f"{resources.settings.redis_key_prefix}buyer-session:{digest(buyer['token'])}"
    assert await resources.redis.exists(session_key) == 0
    login = await client.post("/api/v1/sessions", json={"identifier": "0909123456", "password": PASSWORD})
    assert login.status_code == 401
    again = await client.post("/api/v1/accounts", json=buyer_body(identifier="0909123456", client="mobile"))
    assert again.status_code == 201  # the number is free again: nothing links it to the tombstone


async def test_a_seller_member_cannot_delete_the_account_before_leaving(client: httpx.AsyncClient) -> None:
    seller = await registered_seller(client)
    body = {"identifier": seller["owner"]["identifier"], "password": seller["owner"]["password"], "client": "mobile"}
    token = (await client.post("/api/v1/sessions", json=body)).json()["token"]
    response = await client.request(
        "DELETE", "/api/v1/me", json={"password": seller["owner"]["password"]}, headers=bearer(token)
    )
    assert response.status_code == 409 and response.json()["code"] == "account_is_seller_member"
