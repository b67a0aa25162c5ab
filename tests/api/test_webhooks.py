"""Seller webhook endpoints through the API: who may register them, which URLs pass, secrets shown once, rotation,
and another seller's endpoints and deliveries out of reach."""

from __future__ import annotations

import httpx
import pytest

from market.audit.tables import AuditEvent
from market.webhooks.events import EVENT_TYPES
from tests.factories import bearer, registered_seller

ENDPOINTS = "/seller/v1/webhook-endpoints"
LOCAL = "http://127.0.0.1:9/hooks/shop"


async def create(client: httpx.AsyncClient, session: str, url: str = LOCAL, events: list[str] | None = None) -> dict:
    response = await client.post(ENDPOINTS, json={"url": url, "enabled_events": events or ["*"]},
                                 headers=bearer(session))  # fmt: skip
    assert response.status_code == 201, response.text
    return dict(response.json())


async def staff_session(client: httpx.AsyncClient, owner_session: str) -> str:
    invited = await client.post("/seller/v1/members", json={"identifier": "staff-hooks@example.vn"},
                                headers=bearer(owner_session))  # fmt: skip
    assert invited.status_code == 201, invited.text
    accepted = await client.post("/seller/v1/invitations/accept", json={
        "token": invited.json()["token"], "name": "Anh Tư", "password": "kho-hang-trang-bang-2026"})  # fmt: skip
    assert accepted.status_code == 201, accepted.text
    return str(accepted.json()["token"])


async def test_the_owner_registers_an_endpoint_and_sees_its_secret_once(
    client: httpx.AsyncClient, seller: dict
) -> None:
    response = await client.post(ENDPOINTS, headers=bearer(seller["session"]), json={
        "url": LOCAL, "enabled_events": ["order.created", "seller_order.packed", "order.created"],
        "description": "Kho Trảng Bàng"})  # fmt: skip

    assert response.status_code == 201, response.text
    created = response.json()
    assert response.headers["location"] == f"{ENDPOINTS}/{created['id']}"
    assert "no-store" in response.headers["cache-control"]
    assert created["id"].startswith("whe_") and created["object"] == "webhook_endpoint"
    assert created["secret"].startswith("whsec_") and len(created["secret"]) > 40
    assert created["enabled_events"] == ["order.created", "seller_order.packed"]
    assert created["status"] == "enabled"
    listed = (await client.get(ENDPOINTS, headers=bearer(seller["session"]))).json()
    one = (await client.get(f"{ENDPOINTS}/{created['id']}", headers=bearer(seller["key"]))).json()
    assert [item["id"] for item in listed["data"]] == [created["id"]] and listed["object"] == "list"
    assert listed["data"][0]["secret"] is None and one["secret"] is None
    audit = await AuditEvent.objects().where(AuditEvent.subject_id == created["id"]).run()
    assert [row.action for row in audit] == ["webhook_endpoint.created"]
    assert audit[0].actor.startswith(f"seller:{seller['seller']['id']}:acc_")


@pytest.mark.parametrize(
    ("url", "code"),
    [
        ("http://hooks.example.vn/market", "https_required"),
        ("https://10.0.0.5/hooks", "host_not_allowed"),
        ("https://192.168.1.10/hooks", "host_not_allowed"),
        ("https://169.254.169.254/latest/meta-data", "host_not_allowed"),
        ("https://[::ffff:127.0.0.1]/hooks", "host_not_allowed"),
        ("https://127.0.0.1/hooks", None),  # loopback: only because WEBHOOK_ALLOW_LOOPBACK is on in the tests
        ("https://localhost/hooks", "host_not_allowed"),  # a name is resolved and checked, loopback or not
        ("https://no-such-host.invalid/hooks", "host_not_allowed"),
        ("https://user:pw@hooks.example.vn/", "invalid_url"),
        ("http://10.0.0.5:8080/hooks", "https_required"),
    ],
)
async def test_urls_follow_the_image_rules(client: httpx.AsyncClient, seller: dict, url: str, code: str | None) -> None:
    response = await client.post(
        ENDPOINTS, json={"url": url, "enabled_events": ["*"]}, headers=bearer(seller["session"])
    )
    if code is None:
        assert response.status_code == 201, response.text
        return
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == "url"
    assert response.json()["errors"][0]["code"] == code


async def test_loopback_http_is_refused_unless_the_setting_allows_it(seller: dict) -> None:
    from market.webhooks.service import url_error

    assert await url_error("http://127.0.0.1:8701/hooks/x", allow_loopback=True) is None
    refused = await url_error("http://127.0.0.1:8701/hooks/x", allow_loopback=False)
    assert refused is not None and refused.code == "https_required"
    refused = await url_error("https://127.0.0.1/hooks/x", allow_loopback=False)
    assert refused is not None and refused.code == "host_not_allowed"


async def test_unknown_event_types_are_named(client: httpx.AsyncClient, seller: dict) -> None:
    response = await client.post(ENDPOINTS, headers=bearer(seller["session"]), json={
        "url": LOCAL, "enabled_events": ["order.paid", "seller_order.*", "order.exploded"]})  # fmt: skip
    assert response.status_code == 422, response.text
    assert [(e["field"], e["code"]) for e in response.json()["errors"]] == [
        ("enabled_events[1]", "invalid_choice"), ("enabled_events[2]", "invalid_choice")]  # fmt: skip
    empty = await client.post(ENDPOINTS, json={"url": LOCAL, "enabled_events": []}, headers=bearer(seller["session"]))
    assert empty.status_code == 422 and empty.json()["errors"][0]["field"] == "enabled_events"
    sneaky = await client.post(ENDPOINTS, headers=bearer(seller["session"]),
                               json={"url": LOCAL, "enabled_events": ["*"], "secret": "whsec_mine"})  # fmt: skip
    assert sneaky.status_code == 422


async def test_event_types_are_listed(client: httpx.AsyncClient, seller: dict) -> None:
    response = await client.get("/seller/v1/webhook-event-types", headers=bearer(seller["key"]))
    assert response.status_code == 200
    names = [item["id"] for item in response.json()["data"]]
    assert names == list(EVENT_TYPES)
    assert {"order.created", "order.paid", "seller_order.packed", "return.requested", "product.rejected",
            "product.taken_down", "payout.paid", "payout.failed"} <= set(names)  # fmt: skip


async def test_only_the_owner_changes_endpoints(client: httpx.AsyncClient, seller: dict) -> None:
    created = await create(client, seller["session"])
    staff = await staff_session(client, seller["session"])
    path = f"{ENDPOINTS}/{created['id']}"
    for who in (staff, seller["key"]):
        attempts = [
            await client.post(ENDPOINTS, json={"url": LOCAL, "enabled_events": ["*"]}, headers=bearer(who)),
            await client.patch(path, json={"description": "x"}, headers=bearer(who)),
            await client.post(f"{path}/rotate-secret", headers=bearer(who)),
            await client.delete(path, headers=bearer(who)),
        ]
        assert [answer.status_code for answer in attempts] == [403] * 4
        assert {answer.json()["code"] for answer in attempts} == {"owner_only"}
    read = await client.get(path, headers=bearer(staff))
    assert read.status_code == 200 and read.json()["secret"] is None
    log = await client.get("/seller/v1/webhook-deliveries", headers=bearer(staff))
    assert log.status_code == 200


async def test_another_sellers_endpoint_is_not_found(client: httpx.AsyncClient, seller: dict, operator: str) -> None:
    created = await create(client, seller["session"])
    other = await registered_seller(client, approve_with=operator)
    path = f"{ENDPOINTS}/{created['id']}"
    answers = [
        await client.get(path, headers=bearer(other["session"])),
        await client.patch(path, json={"description": "mine now"}, headers=bearer(other["session"])),
        await client.post(f"{path}/rotate-secret", headers=bearer(other["session"])),
        await client.delete(path, headers=bearer(other["session"])),
        await client.get(
            "/seller/v1/webhook-deliveries/whd_00000000000000000000000000", headers=bearer(other["session"])
        ),
    ]
    assert [answer.status_code for answer in answers] == [404] * 5
    listed = await client.get(ENDPOINTS, headers=bearer(other["session"]))
    assert listed.json()["data"] == []
    assert (await client.get(path, headers=bearer(seller["session"]))).json()["description"] == ""


async def test_rotation_keeps_the_old_secret_for_the_overlap(client: httpx.AsyncClient, seller: dict) -> None:
    created = await create(client, seller["session"])
    response = await client.post(f"{ENDPOINTS}/{created['id']}/rotate-secret", headers=bearer(seller["session"]))
    assert response.status_code == 200, response.text
    rotated = response.json()
    assert rotated["secret"].startswith("whsec_") and rotated["secret"] != created["secret"]
    assert rotated["previous_secret_expires_at"] is not None
    assert "no-store" in response.headers["cache-control"]
    read = (await client.get(f"{ENDPOINTS}/{created['id']}", headers=bearer(seller["session"]))).json()
    assert read["secret"] is None and read["previous_secret_expires_at"] == rotated["previous_secret_expires_at"]


async def test_update_disable_enable_and_delete(client: httpx.AsyncClient, seller: dict) -> None:
    created = await create(client, seller["session"])
    path = f"{ENDPOINTS}/{created['id']}"
    changed = await client.patch(path, headers=bearer(seller["session"]), json={
        "enabled_events": ["order.paid"], "description": "Kế toán", "status": "disabled"})  # fmt: skip
    assert changed.status_code == 200, changed.text
    assert changed.json()["enabled_events"] == ["order.paid"] and changed.json()["status"] == "disabled"
    assert changed.json()["disabled_reason"] == "by_owner"
    private = await client.patch(path, json={"url": "https://10.1.2.3/x"}, headers=bearer(seller["session"]))
    assert private.status_code == 422 and private.json()["errors"][0]["code"] == "host_not_allowed"
    enabled = await client.patch(path, json={"status": "enabled"}, headers=bearer(seller["session"]))
    assert enabled.json()["status"] == "enabled" and enabled.json()["disabled_reason"] is None
    deleted = await client.delete(path, headers=bearer(seller["session"]))
    assert deleted.status_code == 204
    assert (await client.get(path, headers=bearer(seller["session"]))).status_code == 404
    assert (await client.get(ENDPOINTS, headers=bearer(seller["session"]))).json()["data"] == []


async def test_at_most_sixteen_endpoints(client: httpx.AsyncClient, seller: dict) -> None:
    for index in range(16):
        await create(client, seller["session"], f"{LOCAL}/{index}")
    response = await client.post(ENDPOINTS, json={"url": LOCAL, "enabled_events": ["*"]},
                                 headers=bearer(seller["session"]))  # fmt: skip
    assert response.status_code == 409 and response.json()["code"] == "webhook_endpoints_limit"
