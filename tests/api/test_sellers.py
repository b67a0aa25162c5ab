"""Sellers: registration, verification, members, API keys, and nobody seeing another seller's things."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import httpx
import pytest

from market.app import create_app
from market.core import clock
from market.operators.service import operator_for_token
from market.sellers.tables import Seller
from market.settings import Settings
from tests.buyers import PASSWORD, mobile_buyer
from tests.factories import api_key, bearer, operator_token, phone, registered_seller, seller_body
from tests.http import app_client


async def test_registration_gives_a_pending_seller_and_an_owner_session(client: httpx.AsyncClient) -> None:
    created = await registered_seller(client)
    assert created["seller"]["status"] == "pending"
    assert created["seller"]["slug"].startswith("htx-mang-cau-ba-den-")
    assert created["seller"]["province"] == {"code": 80, "name": "Tây Ninh"}
    assert created["seller"]["phone"].startswith("+849")
    me = await client.get("/seller/v1/seller", headers=bearer(created["session"]))
    assert me.status_code == 200
    assert me.json()["id"] == created["seller"]["id"]


async def test_pending_seller_is_not_public_until_approved(client: httpx.AsyncClient) -> None:
    operator = await operator_token()
    created = await registered_seller(client)
    slug = created["seller"]["slug"]
    assert (await client.get(f"/api/v1/sellers/{slug}")).status_code == 404
    await client.post(f"/admin/v1/sellers/{created['seller']['id']}/approve", headers=bearer(operator))
    public = await client.get(f"/api/v1/sellers/{slug}")
    assert public.status_code == 200
    assert "tax_code" not in public.json() and "phone" not in public.json()


@pytest.mark.parametrize(
    ("change", "field", "code"),
    [
        ({"province_code": 81}, "province_code", "unknown_province"),
        ({"ward_code": 4}, "ward_code", "unknown_ward"),
        ({"phone": "12345"}, "phone", "invalid_phone"),
        ({"kind": "enterprise", "tax_code": None}, "tax_code", "required"),
        ({"tax_code": "12AB"}, "tax_code", "invalid_tax_code"),
        ({"status": "approved"}, "status", "unknown_field"),
        ({"kind": "hacker"}, "kind", "invalid_choice"),
        ({"display_name": "x" * 500}, "display_name", "out_of_range"),
    ],
)
async def test_bad_registration_names_the_field_and_writes_nothing(
    client: httpx.AsyncClient, change: dict, field: str, code: str
) -> None:
    response = await client.post("/seller/v1/sellers", json=seller_body(**change))
    assert response.status_code == 422, response.text
    assert (field, code) in [(e["field"], e["code"]) for e in response.json()["errors"]]
    assert await Seller.count() == 0


async def test_weak_owner_password_is_refused(client: httpx.AsyncClient) -> None:
    body = seller_body(owner={"identifier": "a@b.vn", "name": "An", "password": "1234567890"})
    response = await client.post("/seller/v1/sellers", json=body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "password_too_common"
    assert await Seller.count() == 0


async def test_operator_moves_sellers_through_legal_transitions_only(client: httpx.AsyncClient) -> None:
    operator = await operator_token()
    seller_id = (await registered_seller(client))["seller"]["id"]
    headers = bearer(operator)
    illegal = await client.post(f"/admin/v1/sellers/{seller_id}/reinstate", json={"reason": "x"}, headers=headers)
    assert illegal.status_code == 409
    assert illegal.json()["current_status"] == "pending"
    assert (await client.post(f"/admin/v1/sellers/{seller_id}/approve", headers=headers)).json()["status"] == "approved"
    no_reason = await client.post(f"/admin/v1/sellers/{seller_id}/suspend", json={}, headers=headers)
    assert no_reason.status_code == 422
    suspended = await client.post(
        f"/admin/v1/sellers/{seller_id}/suspend", json={"reason": "Hàng giả"}, headers=headers
    )
    assert suspended.json()["status"] == "suspended"
    assert suspended.json()["status_reason"] == "Hàng giả"
    no_reason = await client.post(f"/admin/v1/sellers/{seller_id}/reinstate", json={}, headers=headers)
    assert no_reason.status_code == 422 and no_reason.json()["errors"][0]["field"] == "reason"
    reinstated = await client.post(
        f"/admin/v1/sellers/{seller_id}/reinstate", json={"reason": "Đã đối chất"}, headers=headers
    )
    assert reinstated.json()["status"] == "approved"


async def test_status_history_keeps_every_reason_including_reinstatement(client: httpx.AsyncClient) -> None:
    operator = await operator_token()
    created = await registered_seller(client)
    seller_id, headers = created["seller"]["id"], bearer(operator)
    await client.post(f"/admin/v1/sellers/{seller_id}/approve", json={"reason": "Đủ giấy tờ"}, headers=headers)
    await client.post(f"/admin/v1/sellers/{seller_id}/suspend", json={"reason": "Hàng giả"}, headers=headers)
    reinstated = await client.post(
        f"/admin/v1/sellers/{seller_id}/reinstate", json={"reason": "Giấy tờ đã xác minh"}, headers=headers
    )
    assert reinstated.json()["status_reason"] == "Giấy tờ đã xác minh"
    expected = [
        ("suspended", "approved", "Giấy tờ đã xác minh"),
        ("approved", "suspended", "Hàng giả"),
        ("pending", "approved", "Đủ giấy tờ"),
    ]
    operator_id = await operator_for_token(operator)
    for path, who in ((f"/admin/v1/sellers/{seller_id}/status-history", headers),
                      ("/seller/v1/seller/status-history", bearer(created["session"]))):  # fmt: skip
        response = await client.get(path, headers=who)
        assert response.status_code == 200, response.text
        changes = response.json()["data"]
        assert [(c["from_status"], c["to_status"], c["reason"]) for c in changes] == expected
        assert {c["actor"] for c in changes} == {f"operator:{operator_id}"}
        assert all(c["id"].startswith("ssc_") and c["object"] == "seller_status_change" for c in changes)
    first = await client.get(f"/admin/v1/sellers/{seller_id}/status-history?limit=2", headers=headers)
    rest = await client.get(
        f"/admin/v1/sellers/{seller_id}/status-history?limit=2&cursor={first.json()['next_cursor']}", headers=headers
    )
    assert [c["reason"] for c in first.json()["data"] + rest.json()["data"]] == [e[2] for e in expected]
    assert rest.json()["has_more"] is False
    unknown = await client.get("/admin/v1/sellers/sel_nope/status-history", headers=headers)
    assert unknown.status_code == 404
    not_ours = await client.get(  # a well-encoded cursor of something else: ["x"]
        f"/admin/v1/sellers/{seller_id}/status-history?cursor=WyJ4Il0", headers=headers
    )
    assert not_ours.status_code == 400 and not_ours.json()["code"] == "invalid_cursor"


async def test_admin_routes_need_an_operator_token(client: httpx.AsyncClient) -> None:
    created = await registered_seller(client)
    for headers in ({}, bearer(created["session"]), bearer("mko_forged")):
        response = await client.get("/admin/v1/sellers/", headers=headers)
        assert response.status_code == 401
        assert response.json()["code"] == "not_authenticated"


async def test_api_keys_authenticate_until_revoked_and_secrets_are_shown_once(client: httpx.AsyncClient) -> None:
    created = await registered_seller(client)
    key = await api_key(client, created["session"])
    assert key.startswith("mks_")
    me = await client.get("/seller/v1/seller", headers=bearer(key))
    assert me.status_code == 200
    listed = (await client.get("/seller/v1/api-keys", headers=bearer(created["session"]))).json()["data"]
    assert listed[0]["secret"] is None and listed[0]["last_used_at"] is not None
    assert key not in str(listed)
    # a key cannot manage keys, only the owner's session can
    assert (await client.get("/seller/v1/api-keys", headers=bearer(key))).status_code == 403
    revoked = await client.delete(f"/seller/v1/api-keys/{listed[0]['id']}", headers=bearer(created["session"]))
    assert revoked.json()["revoked_at"] is not None
    assert (await client.get("/seller/v1/seller", headers=bearer(key))).status_code == 401


async def test_another_sellers_key_is_a_404(client: httpx.AsyncClient) -> None:
    first = await registered_seller(client)
    second = await registered_seller(client)
    await api_key(client, first["session"])
    first_key_id = (await client.get("/seller/v1/api-keys", headers=bearer(first["session"]))).json()["data"][0]["id"]
    response = await client.delete(f"/seller/v1/api-keys/{first_key_id}", headers=bearer(second["session"]))
    assert response.status_code == 404


async def test_owner_invites_staff_who_cannot_manage_keys_and_can_be_removed(client: httpx.AsyncClient) -> None:
    owner = await registered_seller(client)
    invitation = await client.post(
        "/seller/v1/members", json={"identifier": phone(77)}, headers=bearer(owner["session"])
    )
    assert invitation.status_code == 201, invitation.text
    accepted = await client.post(
        "/seller/v1/invitations/accept",
        json={"token": invitation.json()["token"], "name": "Lê Văn Tư", "password": "thanh-long-chau-thanh"},
    )
    assert accepted.status_code == 201, accepted.text
    staff_session = accepted.json()["token"]
    assert accepted.json()["role"] == "staff"
    assert (await client.get("/seller/v1/seller", headers=bearer(staff_session))).status_code == 200
    assert (await client.post("/seller/v1/api-keys", json={"name": "x", "scopes": ["orders:read"]},
                              headers=bearer(staff_session))).status_code == 403  # fmt: skip
    reused = await client.post(
        "/seller/v1/invitations/accept",
        json={"token": invitation.json()["token"], "name": "Lê Văn Tư", "password": "thanh-long-chau-thanh"},
    )
    assert reused.status_code == 404
    members = (await client.get("/seller/v1/members", headers=bearer(owner["session"]))).json()["data"]
    staff = next(m for m in members if m["role"] == "staff")
    assert staff["phone"] == "+84900000077"
    removed = await client.delete(f"/seller/v1/members/{staff['id']}", headers=bearer(owner["session"]))
    assert removed.status_code == 204
    assert (await client.get("/seller/v1/seller", headers=bearer(staff_session))).status_code == 401


async def test_operator_registers_a_phone_only_household(client: httpx.AsyncClient) -> None:
    operator = await operator_token()
    body = seller_body(
        kind="household", tax_code=None, email=None, owner={"identifier": "0912 345 678", "name": "Bà Sáu"}
    )
    response = await client.post("/admin/v1/sellers/", json=body, headers=bearer(operator))
    assert response.status_code == 201, response.text
    invitation = response.json()["owner_invitation"]
    assert invitation["id"].startswith("inv_") and invitation["object"] == "invitation"
    expires_at = datetime.fromisoformat(invitation["expires_at"])
    assert timedelta(days=6, hours=23) < expires_at - clock.now() <= timedelta(days=7)
    token = invitation["token"]
    accepted = await client.post(
        "/seller/v1/invitations/accept", json={"token": token, "name": "Bà Sáu", "password": "banh-trang-phoi-suong"}
    )
    assert accepted.status_code == 201, accepted.text
    login = await client.post(
        "/seller/v1/sessions", json={"identifier": "+84912345678", "password": "banh-trang-phoi-suong"}
    )
    assert login.status_code == 201
    assert login.json()["role"] == "owner"


async def test_login_failures_are_uniform_and_rate_limited(client: httpx.AsyncClient) -> None:
    created = await registered_seller(client)
    wrong = {"identifier": created["owner"]["identifier"], "password": "not-the-password-1"}
    unknown = {"identifier": "nobody@example.vn", "password": "not-the-password-1"}
    first = await client.post("/seller/v1/sessions", json=wrong)
    second = await client.post("/seller/v1/sessions", json=unknown)
    assert first.status_code == second.status_code == 401
    assert first.json()["detail"] == second.json()["detail"]
    statuses = [(await client.post("/seller/v1/sessions", json=wrong)).status_code for _ in range(10)]
    assert 429 in statuses
    limited = await client.post("/seller/v1/sessions", json=wrong)
    assert limited.status_code == 429
    assert limited.json()["code"] == "rate_limited"
    assert int(limited.headers["retry-after"]) >= 1


async def test_seller_sign_in_failures_are_limited_per_account_as_buyers_are(settings: Settings) -> None:
    """Two wrong passwords spend the account's budget (AUTH_FAILURES_PER_ACCOUNT, here 2): then even the right
    one waits, 429 with the account's wait. A right password gives its attempt back, and so does one that is
    right for an account that is no member (403 `not_a_member`)."""
    async with app_client(create_app(replace(settings, auth_failures_per_account=2))) as strict:
        created = await registered_seller(strict)
        right = {"identifier": created["owner"]["identifier"], "password": created["owner"]["password"]}
        wrong = {**right, "password": "not-the-password-1"}
        for _ in range(2):  # right answers use up nothing (and the route's 10 a minute per address stay far)
            assert (await strict.post("/seller/v1/sessions", json=right)).status_code == 201
        buyer = await mobile_buyer(strict)
        not_member = {"identifier": buyer["identifier"], "password": PASSWORD}
        for _ in range(2):
            refused = await strict.post("/seller/v1/sessions", json=not_member)
            assert refused.status_code == 403 and refused.json()["code"] == "not_a_member", refused.text
        assert (await strict.post("/seller/v1/sessions", json=wrong)).status_code == 401
        assert (await strict.post("/seller/v1/sessions", json=right)).status_code == 201  # one failure: still in
        assert (await strict.post("/seller/v1/sessions", json=wrong)).status_code == 401
        limited = await strict.post("/seller/v1/sessions", json=right)
        assert limited.status_code == 429 and limited.json()["code"] == "rate_limited", limited.text
        assert 800 < int(limited.headers["retry-after"]) <= 900
        # the same password's budget: the buyer door is closed for this account too
        assert (await strict.post("/api/v1/sessions", json=right)).status_code == 429


async def test_an_owner_invitation_expires(client: httpx.AsyncClient) -> None:
    operator = await operator_token()
    body = seller_body(
        kind="household", tax_code=None, email=None, owner={"identifier": "0912 345 679", "name": "Chú Bảy"}
    )
    response = await client.post("/admin/v1/sellers/", json=body, headers=bearer(operator))
    token = response.json()["owner_invitation"]["token"]
    with clock.travel(timedelta(days=7, minutes=1)):
        late = await client.post(
            "/seller/v1/invitations/accept", json={"token": token, "name": "Chú Bảy", "password": "dua-hau-can-duoc"}
        )
    assert late.status_code == 404 and late.json()["code"] == "invitation_invalid"
