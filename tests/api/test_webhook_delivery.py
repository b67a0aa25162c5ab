"""Seller webhooks delivered to a real local receiver (the webhook sink): the signature as a client that knows only
the README verifies it, retries on the clock, disabling after 3 days, redelivery, send-time address checks."""

from __future__ import annotations

import ipaddress
import json
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import httpx

from market.core import clock
from market.core.db import fetch
from market.core.pagination import encode_cursor
from market.core.urls import IPAddress
from market.webhooks.dispatcher import Dispatcher
from tests.factories import bearer
from tests.fakes.webhook_sink import WebhookSink
from tests.webhooks import deliveries, documented_verifier, emit, register, rejected


async def test_a_client_knowing_only_the_readme_verifies_the_signature(
    client: httpx.AsyncClient, seller: dict, sink: WebhookSink, dispatch: Callable[..., Dispatcher]
) -> None:
    box = sink.box()
    endpoint = await register(client, seller["session"], box)
    event = await emit(*rejected(seller))

    assert await dispatch().run_due() == 1

    [got] = await sink.received(box)
    body, header = got["body"].encode(), got["headers"]["market-signature"]
    verify = documented_verifier()
    assert verify(body, header, endpoint["secret"])
    assert not verify(body, header, "whsec_not-the-secret")
    assert not verify(body.replace(b"prd_sample", b"prd_other"), header, endpoint["secret"])
    sent = json.loads(body)
    assert sent == {"id": event.id, "object": "event", "type": "product.rejected", "created": sent["created"],
                    "data": {"product_id": "prd_sample", "seller_id": seller["seller"]["id"]}}  # fmt: skip
    assert abs(sent["created"] - time.time()) < 60
    assert got["headers"]["market-event-id"] == event.id
    [logged] = await deliveries(client, seller["session"])
    assert logged["status"] == "succeeded" and logged["attempts"] == 1 and logged["last_response_status"] == 200
    one = (await client.get(f"/seller/v1/webhook-deliveries/{logged['id']}", headers=bearer(seller["key"]))).json()
    assert one["body"] == got["body"]
    [attempt] = one["attempt_log"]
    assert attempt["response_status"] == 200 and attempt["duration_ms"] >= 0
    assert "received" in attempt["response_excerpt"]


async def test_during_a_rotation_both_secrets_sign(
    client: httpx.AsyncClient, seller: dict, sink: WebhookSink, dispatch: Callable[..., Dispatcher]
) -> None:
    box = sink.box()
    endpoint = await register(client, seller["session"], box)
    rotated = (await client.post(f"/seller/v1/webhook-endpoints/{endpoint['id']}/rotate-secret",
                                 headers=bearer(seller["session"]))).json()  # fmt: skip
    await emit(*rejected(seller))
    await dispatch().run_due()
    [got] = await sink.received(box)
    header, verify = got["headers"]["market-signature"], documented_verifier()
    assert header.count("v1=") == 2
    assert verify(got["body"].encode(), header, rotated["secret"])
    assert verify(got["body"].encode(), header, endpoint["secret"])  # a receiver that has not switched yet

    with clock.travel(timedelta(hours=24, minutes=1)):  # WEBHOOK_SECRET_OVERLAP_S: 24 h
        await emit(*rejected(seller))
        await dispatch().run_due()
    later = (await sink.received(box))[1]
    assert later["headers"]["market-signature"].count("v1=") == 1
    assert verify(later["body"].encode(), later["headers"]["market-signature"], rotated["secret"], tolerance_s=10**6)
    assert not verify(
        later["body"].encode(), later["headers"]["market-signature"], endpoint["secret"], tolerance_s=10**6
    )


async def test_failures_back_off_for_three_days_then_the_endpoint_is_disabled(
    client: httpx.AsyncClient, seller: dict, sink: WebhookSink, dispatch: Callable[..., Dispatcher]
) -> None:
    box = sink.box()
    endpoint = await register(client, seller["session"], box)
    await sink.behave(box, status=500)
    start = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    dispatcher = dispatch()
    with clock.frozen_at(start):
        await emit(*rejected(seller))
        assert await dispatcher.run_due() == 1
        assert await dispatcher.run_due() == 0  # not due again yet
    gaps: list[float] = []
    now = start
    while True:
        [row] = await fetch("SELECT status, next_attempt_at, attempts FROM webhook_delivery")
        if row["status"] != "pending":
            break
        gaps.append((row["next_attempt_at"] - now).total_seconds())
        now = row["next_attempt_at"]
        with clock.frozen_at(now - timedelta(seconds=1)):
            assert await dispatcher.run_due() == 0
        with clock.frozen_at(now):
            assert await dispatcher.run_due() == 1

    assert row["status"] == "failed" and row["next_attempt_at"] is None
    assert now == start + timedelta(days=3)  # the last try at the end of the 3 days
    for number, gap in enumerate(gaps[:8], start=1):  # 60 s doubling, drawn from the upper half of each step
        step = 60 * 2 ** (number - 1)
        assert step / 2 <= gap <= step, (number, gap)
    assert max(gaps[:-1]) <= 6 * 3600
    assert 20 <= row["attempts"] <= 32  # about 9 steps to reach 6 h, then one every 3 to 6 h
    assert len(await sink.received(box)) == row["attempts"]
    read = (
        await client.get(f"/seller/v1/webhook-endpoints/{endpoint['id']}", headers=bearer(seller["session"]))
    ).json()
    assert read["status"] == "disabled" and read["disabled_reason"] == "failing"
    [disabled] = await fetch("SELECT payload FROM outbox_event WHERE type = 'webhook_endpoint.disabled'")
    assert json.loads(disabled["payload"]) == {"endpoint_id": endpoint["id"], "seller_id": seller["seller"]["id"],
                                               "url": box}  # fmt: skip
    [logged] = await deliveries(client, seller["session"], status="failed")
    assert logged["last_response_status"] == 500
    log = (await client.get(f"/seller/v1/webhook-deliveries/{logged['id']}", headers=bearer(seller["key"]))).json()
    assert [a["response_status"] for a in log["attempt_log"]] == [500] * row["attempts"]
    with clock.frozen_at(now + timedelta(days=1)):  # disabled: nothing more is created or sent
        await emit(*rejected(seller))
        assert await dispatcher.run_due() == 0


async def test_a_success_within_three_days_keeps_the_endpoint(
    client: httpx.AsyncClient, seller: dict, sink: WebhookSink, dispatch: Callable[..., Dispatcher]
) -> None:
    box = sink.box()
    endpoint = await register(client, seller["session"], box)
    await sink.behave(box, status=503)
    start = datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
    dispatcher = dispatch()
    with clock.frozen_at(start):
        await emit(*rejected(seller))
        await dispatcher.run_due()
    with clock.frozen_at(start + timedelta(days=2, hours=23)):
        await sink.behave(box, status=200)
        await dispatcher.run_due()  # the retry succeeds: the endpoint is healthy again
        await sink.behave(box, status=503)
        await emit(*rejected(seller))
        await dispatcher.run_due()  # a new one fails: failing since now
    with clock.frozen_at(start + timedelta(days=3, hours=1)):
        assert await dispatcher.run_due() == 1  # failing for 2 hours, not for 3 days
    read = (
        await client.get(f"/seller/v1/webhook-endpoints/{endpoint['id']}", headers=bearer(seller["session"]))
    ).json()
    assert read["status"] == "enabled" and read["failing_since"] is not None


async def test_redelivery_sends_the_same_event_again(
    client: httpx.AsyncClient, seller: dict, sink: WebhookSink, dispatch: Callable[..., Dispatcher]
) -> None:
    box = sink.box()
    endpoint = await register(client, seller["session"], box)
    await emit(*rejected(seller))
    await dispatch().run_due()
    [logged] = await deliveries(client, seller["session"])
    path = f"/seller/v1/webhook-deliveries/{logged['id']}/redeliver"
    assert (await client.post(path, headers=bearer(seller["key"]))).status_code == 403

    response = await client.post(path, headers=bearer(seller["session"]))
    assert response.status_code == 202, response.text
    assert response.json()["status"] == "pending"
    await dispatch().run_due()

    first, again = await sink.received(box)
    assert again["body"] == first["body"] and again["headers"]["market-event-id"] == first["headers"]["market-event-id"]
    one = (await client.get(f"/seller/v1/webhook-deliveries/{logged['id']}", headers=bearer(seller["session"]))).json()
    assert one["status"] == "succeeded" and [a["redelivery"] for a in one["attempt_log"]] == [False, True]
    await client.patch(f"/seller/v1/webhook-endpoints/{endpoint['id']}", json={"status": "disabled"},
                       headers=bearer(seller["session"]))  # fmt: skip
    refused = await client.post(path, headers=bearer(seller["session"]))
    assert refused.status_code == 409 and refused.json()["code"] == "webhook_endpoint_disabled"


async def test_the_delivery_log_pages_and_filters(
    client: httpx.AsyncClient, seller: dict, sink: WebhookSink, dispatch: Callable[..., Dispatcher], operator: str
) -> None:
    first = await register(client, seller["session"], sink.box())
    second = await register(client, seller["session"], sink.box(), ["product.taken_down"])
    for _ in range(3):
        await emit(*rejected(seller))
    await emit("product.taken_down", {"product_id": "prd_x", "seller_id": seller["seller"]["id"]})
    page = (await client.get("/seller/v1/webhook-deliveries", params={"limit": 3},
                             headers=bearer(seller["session"]))).json()  # fmt: skip
    rest = (await client.get("/seller/v1/webhook-deliveries", params={"limit": 3, "cursor": page["next_cursor"]},
                             headers=bearer(seller["session"]))).json()  # fmt: skip
    assert page["has_more"] and not rest["has_more"]
    assert len({d["id"] for d in page["data"] + rest["data"]}) == 5  # 4 for `*`, 1 for the take-down only
    assert [d["event_type"] for d in page["data"]][:2] == ["product.taken_down", "product.taken_down"]
    assert len(await deliveries(client, seller["session"], endpoint_id=second["id"])) == 1
    assert len(await deliveries(client, seller["session"], endpoint_id=first["id"], status="pending")) == 4
    assert len(await deliveries(client, seller["session"], event_type="product.rejected")) == 3
    bad = await client.get("/seller/v1/webhook-deliveries", params={"cursor": "nope"}, headers=bearer(seller["key"]))
    assert bad.status_code == 400 and bad.json()["code"] == "invalid_cursor"
    forged = await client.get("/seller/v1/webhook-deliveries", params={"cursor": encode_cursor("yesterday", "whd_x")},
                              headers=bearer(seller["key"]))  # fmt: skip
    assert forged.status_code == 400 and forged.json()["code"] == "invalid_cursor"  # decodable, but no time: not a 500
    from tests.factories import registered_seller

    other = await registered_seller(client, approve_with=operator)
    assert await deliveries(client, other["session"]) == []
    one = page["data"][0]["id"]
    assert (
        await client.get(f"/seller/v1/webhook-deliveries/{one}", headers=bearer(other["session"]))
    ).status_code == 404


class Dns:
    """A test's DNS: the answers each name gets, one per lookup (the last one repeats)."""

    def __init__(self, answers: dict[str, list[list[str]]]) -> None:
        self.answers = answers
        self.lookups: list[str] = []

    async def __call__(self, host: str) -> list[IPAddress]:
        self.lookups.append(host)
        queue = self.answers.get(host, [[]])
        found = queue.pop(0) if len(queue) > 1 else queue[0]
        return [ipaddress.ip_address(address) for address in found]


async def test_private_addresses_are_refused_at_send_time(
    client: httpx.AsyncClient, seller: dict, sink: WebhookSink, dispatch: Callable[..., Dispatcher]
) -> None:
    box = sink.box()
    endpoint = await register(client, seller["session"], box)
    await emit(*rejected(seller))
    await dispatch(allow_loopback=False).run_due()  # production's rules: 127.0.0.1 is no public address
    assert await sink.received(box) == []
    [logged] = await deliveries(client, seller["session"])
    assert logged["status"] == "pending" and logged["last_error"] == "host_not_allowed"
    assert logged["last_response_status"] is None

    # A name that was public when registered and now resolves inside (or to one public and one private address).
    for answer in (["10.0.0.7"], ["93.184.216.34", "192.168.0.3"], ["169.254.169.254"], []):
        await fetch("UPDATE webhook_endpoint SET url = 'https://hooks.farm.test/market' WHERE id = $1", endpoint["id"])
        await fetch("UPDATE webhook_delivery SET next_attempt_at = $1", clock.now())
        dns = Dns({"hooks.farm.test": [answer]})
        await dispatch(allow_loopback=False, resolve=dns).run_due()
        assert dns.lookups == ["hooks.farm.test"]
        [logged] = await deliveries(client, seller["session"])
        assert logged["last_error"] == "host_not_allowed", answer


async def test_the_request_goes_to_the_address_that_was_checked(
    client: httpx.AsyncClient, seller: dict, sink: WebhookSink, dispatch: Callable[..., Dispatcher]
) -> None:
    """DNS rebinding: the name answers a good address to the check, then a private one; the request must go to
    the first (the sink, here on loopback, allowed in tests) with the name in Host."""
    box = sink.box()
    endpoint = await register(client, seller["session"], box)
    rebinding = box.replace("127.0.0.1", "rebind.farm.test")
    await fetch("UPDATE webhook_endpoint SET url = $2 WHERE id = $1", endpoint["id"], rebinding)
    dns = Dns({"rebind.farm.test": [["127.0.0.1"], ["10.0.0.9"]]})
    await emit(*rejected(seller))
    await dispatch(resolve=dns).run_due()
    [got] = await sink.received(box)
    assert got["headers"]["host"] == f"rebind.farm.test:{sink.port}"
    assert dns.lookups == ["rebind.farm.test"]  # resolved once, for the check; connected to what it checked


async def test_a_delivery_for_an_endpoint_switched_off_meanwhile_is_given_up(
    client: httpx.AsyncClient, seller: dict, sink: WebhookSink, dispatch: Callable[..., Dispatcher]
) -> None:
    box = sink.box()
    endpoint = await register(client, seller["session"], box)
    await emit(*rejected(seller))
    await fetch("UPDATE webhook_endpoint SET status = 'disabled' WHERE id = $1", endpoint["id"])  # raced the fan-out
    dispatcher = dispatch()
    await dispatcher.run_due()
    assert await dispatcher.run_due() == 0  # not claimed again and again
    [logged] = await deliveries(client, seller["session"])
    assert logged["status"] == "failed" and logged["last_error"] == "endpoint disabled"
    assert await sink.received(box) == []
