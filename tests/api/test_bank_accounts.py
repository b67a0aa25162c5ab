"""A seller's payout bank account: the owner alone sets it, names are printed as banks print them, numbers are
masked in reads, and every change is audited, announced and starts a cooling-off."""

from __future__ import annotations

from datetime import timedelta

import httpx

from market.core import clock
from market.core.db import fetch
from tests.factories import api_key, bearer, phone, registered_seller
from tests.payouts import START, account_body, events, set_account


async def _staff_session(client: httpx.AsyncClient, owner_session: str) -> str:
    invitation = await client.post("/seller/v1/members", json={"identifier": phone()}, headers=bearer(owner_session))
    assert invitation.status_code == 201, invitation.text
    accepted = await client.post("/seller/v1/invitations/accept", json={
        "token": invitation.json()["token"], "name": "Lê Văn Tư", "password": "thanh-long-chau-thanh"})  # fmt: skip
    assert accepted.status_code == 201, accepted.text
    token: str = accepted.json()["token"]
    return token


async def test_owner_sets_the_account_normalised_masked_audited_and_cooling_off(
    client: httpx.AsyncClient, operator: str
) -> None:
    seller = await registered_seller(client, approve_with=operator)
    with clock.frozen_at(START):
        account = await set_account(client, seller["session"], holder_name="  nguyễn  văn an ")
    assert account["holder_name"] == "NGUYEN VAN AN"
    assert account["account_number_masked"] == "*********3456" and account["last4"] == "3456"
    assert "0071000123456" not in str(account)
    assert (account["bank_bin"], account["bank_code"], account["bank_name"]) == ("970436", "VCB", "Vietcombank")
    assert account["effective_at"] == "2026-11-11T02:00:00Z"  # 48 hours of cooling-off
    assert account["current"] is True and account["set_by"].startswith(f"seller:{seller['seller']['id']}:acc_")
    with clock.frozen_at(START + timedelta(hours=47)):
        read = await client.get("/seller/v1/bank-account", headers=bearer(seller["session"]))
    assert read.status_code == 200 and read.json()["cooling_off"] is True
    with clock.frozen_at(START + timedelta(hours=48)):
        read = await client.get("/seller/v1/bank-account", headers=bearer(seller["session"]))
    assert read.json()["cooling_off"] is False
    stored = await fetch("SELECT account_number FROM seller_bank_account WHERE id = $1", account["id"])
    assert stored[0]["account_number"] == "0071000123456"

    audit = await fetch("SELECT actor, details FROM audit_event WHERE action = 'seller_bank_account.changed'")
    assert len(audit) == 1 and audit[0]["actor"] == account["set_by"]
    assert [e for e in await events("seller_bank_account.changed")] == [{
        "seller_id": seller["seller"]["id"], "bank_bin": "970436", "last4": "3456",
        "effective_at": "2026-11-11T02:00:00+00:00"}]  # fmt: skip


async def test_a_change_supersedes_restarts_the_cooling_off_and_the_same_details_change_nothing(
    client: httpx.AsyncClient, operator: str
) -> None:
    seller = await registered_seller(client, approve_with=operator)
    with clock.frozen_at(START):
        first = await set_account(client, seller["session"])
    with clock.frozen_at(START + timedelta(hours=72)):
        again = await set_account(client, seller["session"], account_number="0071000123456",
                                  holder_name="NGUYEN VAN AN")  # fmt: skip
        assert again["id"] == first["id"] and again["cooling_off"] is False
        changed = await set_account(client, seller["session"], bank_bin="970418", account_number="21510000999888")
    assert changed["id"] != first["id"] and changed["cooling_off"] is True
    assert changed["effective_at"] == "2026-11-14T02:00:00Z"
    history = await client.get("/seller/v1/bank-account/history", params={"limit": 1},
                               headers=bearer(seller["session"]))  # fmt: skip
    assert history.status_code == 200
    page = history.json()
    assert [row["id"] for row in page["data"]] == [changed["id"]] and page["has_more"]
    rest = await client.get("/seller/v1/bank-account/history", params={"cursor": page["next_cursor"]},
                            headers=bearer(seller["session"]))  # fmt: skip
    older = rest.json()["data"]
    assert [row["id"] for row in older] == [first["id"]] and older[0]["current"] is False
    assert older[0]["superseded_at"] == "2026-11-12T02:00:00Z"
    assert len(await events("seller_bank_account.changed")) == 2
    assert len(await fetch("SELECT 1 FROM audit_event WHERE action = 'seller_bank_account.changed'")) == 2


async def test_only_the_owner_may_set_it(client: httpx.AsyncClient, operator: str) -> None:
    seller = await registered_seller(client, approve_with=operator)
    key = await api_key(client, seller["session"], ["money:read"])
    catalog_key = await api_key(client, seller["session"], ["catalog:write"])
    staff = await _staff_session(client, seller["session"])
    for token in (key, staff):
        refused = await client.put("/seller/v1/bank-account", json=account_body(), headers=bearer(token))
        assert refused.status_code == 403, refused.text
        assert refused.json()["code"] == "owner_only"
    assert (await client.get("/seller/v1/bank-account", headers=bearer(staff))).status_code == 404
    assert (await client.put("/seller/v1/bank-account", json=account_body())).status_code == 401
    await set_account(client, seller["session"])
    read = await client.get("/seller/v1/bank-account", headers=bearer(key))
    assert read.status_code == 200 and read.json()["last4"] == "3456"
    for path in ("/seller/v1/bank-account", "/seller/v1/payouts", "/seller/v1/statements/2026-11/csv"):
        refused = await client.get(path, headers=bearer(catalog_key))
        assert refused.status_code == 403 and refused.json()["code"] == "insufficient_scope", path
    other = await registered_seller(client, approve_with=operator)
    assert (await client.get("/seller/v1/bank-account", headers=bearer(other["session"]))).status_code == 404


async def test_bad_details_name_each_field(client: httpx.AsyncClient, operator: str) -> None:
    seller = await registered_seller(client, approve_with=operator)
    body = account_body(bank_bin="123456", account_number="12-ab", holder_name="🙂")
    refused = await client.put("/seller/v1/bank-account", json=body, headers=bearer(seller["session"]))
    assert refused.status_code == 422, refused.text
    assert {(e["field"], e["code"]) for e in refused.json()["errors"]} == {
        ("bank_bin", "unknown_bank"), ("account_number", "invalid_account_number"),
        ("holder_name", "invalid_holder_name")}  # fmt: skip
    too_long = await client.put("/seller/v1/bank-account", json=account_body(account_number="1" * 20),
                                headers=bearer(seller["session"]))  # fmt: skip
    assert too_long.status_code == 422
    extra = await client.put("/seller/v1/bank-account", json={**account_body(), "seller_id": "sel_x"},
                             headers=bearer(seller["session"]))  # fmt: skip
    assert extra.status_code == 422 and extra.json()["errors"][0]["code"] == "unknown_field"
    assert not await fetch("SELECT 1 FROM seller_bank_account")
