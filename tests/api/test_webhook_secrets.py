"""Webhook signing secrets at rest in PostgreSQL: never the secret itself, deliveries still verify with the README's
snippet, a key that is missing fails deliveries on our side (logged, retried), key rotation, rekey, legacy rows."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Callable
from datetime import timedelta

import httpx
import structlog

from market.core import clock
from market.core.db import fetch
from market.settings import Settings
from market.webhooks.dispatcher import Dispatcher
from market.webhooks.sender import UNREADABLE, Sender
from market.webhooks.service import rekey
from market.webhooks.vault import PREFIX, SecretBox, box_for, key_id
from tests.factories import bearer
from tests.fakes.webhook_sink import WebhookSink
from tests.webhooks import deliveries, documented_verifier, emit, register, rejected


async def stored(endpoint_id: str) -> dict:
    rows = await fetch("SELECT secret, previous_secret, row_to_json(e)::text AS whole FROM webhook_endpoint e "
                       "WHERE id = $1", endpoint_id)  # fmt: skip
    return dict(rows[0])


def dispatcher_with(box: SecretBox) -> Dispatcher:
    return Dispatcher(Sender.create(2.0, True, box=box), concurrency=20, per_endpoint=2)


async def test_the_row_never_holds_the_secret_and_deliveries_still_verify(
    client: httpx.AsyncClient, seller: dict, sink: WebhookSink, dispatch: Callable[..., Dispatcher], settings: Settings
) -> None:
    box = sink.box()
    endpoint = await register(client, seller["session"], box)
    first = endpoint["secret"]
    row = await stored(endpoint["id"])
    assert row["secret"].startswith(f"{PREFIX}.{key_id(settings.webhook_secrets_key)}.")
    assert first not in row["whole"] and first[len("whsec_") :] not in row["whole"]

    rotated = (await client.post(f"/seller/v1/webhook-endpoints/{endpoint['id']}/rotate-secret",
                                 headers=bearer(seller["session"]))).json()  # fmt: skip
    row = await stored(endpoint["id"])
    for secret in (first, rotated["secret"]):
        assert secret not in row["whole"] and secret[len("whsec_") :] not in row["whole"]
    assert row["previous_secret"].startswith(PREFIX + ".")
    audited = await fetch("SELECT string_agg(details::text, ' ') AS text FROM audit_event WHERE subject_id = $1",
                          endpoint["id"])  # fmt: skip
    assert first not in audited[0]["text"] and rotated["secret"] not in audited[0]["text"]

    await emit(*rejected(seller))
    assert await dispatch().run_due() == 1
    [got] = await sink.received(box)
    verify, header = documented_verifier(), got["headers"]["market-signature"]
    assert header.count("v1=") == 2  # the rotation overlap signs with both, opened from their sealed values
    assert verify(got["body"].encode(), header, rotated["secret"]) and verify(got["body"].encode(), header, first)


async def test_a_key_that_cannot_open_the_secret_fails_the_delivery_on_our_side_and_it_is_retried(
    client: httpx.AsyncClient, seller: dict, sink: WebhookSink, dispatch: Callable[..., Dispatcher], settings: Settings
) -> None:
    box = sink.box()
    endpoint = await register(client, seller["session"], box)
    await emit(*rejected(seller))
    wrong = dispatcher_with(SecretBox(secrets.token_bytes(32)))
    try:
        with structlog.testing.capture_logs() as logs:
            assert await wrong.run_due() == 1
    finally:
        await wrong.close(grace_s=0)

    assert await sink.received(box) == []  # nothing unsigned or wrongly signed left
    [logged] = [entry for entry in logs if entry["event"] == "webhook_secret_unreadable"]
    assert logged["endpoint_id"] == endpoint["id"] and key_id(settings.webhook_secrets_key) in logged["reason"]
    assert endpoint["secret"] not in str(logs)
    [delivery] = await deliveries(client, seller["session"])
    assert delivery["status"] == "pending" and delivery["attempts"] == 1 and delivery["next_attempt_at"]
    one = (await client.get(f"/seller/v1/webhook-deliveries/{delivery['id']}", headers=bearer(seller["key"]))).json()
    assert one["attempt_log"][0]["error"] == UNREADABLE and one["attempt_log"][0]["response_status"] is None
    rows = await fetch("SELECT failing_since FROM webhook_endpoint WHERE id = $1", endpoint["id"])
    assert rows[0]["failing_since"] is None  # the seller's endpoint is not blamed for our key

    with clock.travel(timedelta(hours=1)):  # the right key is back: the retry goes out, signed
        assert await dispatch().run_due() == 1
    [got] = await sink.received(box)
    verify = documented_verifier()
    assert verify(got["body"].encode(), got["headers"]["market-signature"], endpoint["secret"], tolerance_s=10**6)


async def test_after_a_key_rotation_the_previous_key_opens_and_the_row_is_sealed_anew(
    client: httpx.AsyncClient, seller: dict, sink: WebhookSink, settings: Settings
) -> None:
    box = sink.box()
    endpoint = await register(client, seller["session"], box)  # sealed under the settings' key: now "the old one"
    new = secrets.token_bytes(32)
    rotated_keys = SecretBox(new, settings.webhook_secrets_key)
    await emit(*rejected(seller))
    dispatcher = dispatcher_with(rotated_keys)
    try:
        assert await dispatcher.run_due() == 1
    finally:
        await dispatcher.close(grace_s=0)
    [got] = await sink.received(box)
    assert documented_verifier()(got["body"].encode(), got["headers"]["market-signature"], endpoint["secret"])
    row = await stored(endpoint["id"])
    assert row["secret"].startswith(f"{PREFIX}.{key_id(new)}.")
    assert SecretBox(new).open(row["secret"], endpoint["id"]) == endpoint["secret"]


async def test_legacy_plain_rows_still_sign_and_are_sealed_on_first_use(
    client: httpx.AsyncClient, seller: dict, sink: WebhookSink, dispatch: Callable[..., Dispatcher], settings: Settings
) -> None:
    box = sink.box()
    endpoint = await register(client, seller["session"], box)
    legacy, legacy_previous = "whsec_" + secrets.token_urlsafe(32), "whsec_" + secrets.token_urlsafe(32)
    await fetch("UPDATE webhook_endpoint SET secret = $2, previous_secret = $3, previous_secret_expires_at = $4 "
                "WHERE id = $1", endpoint["id"], legacy, legacy_previous, clock.now() + timedelta(hours=1))  # fmt: skip
    await emit(*rejected(seller))
    assert await dispatch().run_due() == 1
    [got] = await sink.received(box)
    verify, header = documented_verifier(), got["headers"]["market-signature"]
    assert verify(got["body"].encode(), header, legacy) and verify(got["body"].encode(), header, legacy_previous)
    row = await stored(endpoint["id"])
    assert legacy not in row["whole"] and legacy_previous not in row["whole"]
    assert box_for(settings).open(row["previous_secret"], endpoint["id"]) == legacy_previous


async def test_rekey_seals_legacy_and_previous_key_rows_and_names_the_unreadable(
    client: httpx.AsyncClient, seller: dict, settings: Settings
) -> None:
    local = "http://127.0.0.1:9/hooks/rekey"
    legacy, old_key, lost, current = [await register(client, seller["session"], local) for _ in range(4)]
    old, gone = secrets.token_bytes(32), secrets.token_bytes(32)
    await fetch("UPDATE webhook_endpoint SET secret = $2 WHERE id = $1", legacy["id"], legacy["secret"])
    await fetch("UPDATE webhook_endpoint SET secret = $2 WHERE id = $1", old_key["id"],
                SecretBox(old).seal(old_key["secret"], old_key["id"]))  # fmt: skip
    await fetch("UPDATE webhook_endpoint SET secret = $2 WHERE id = $1", lost["id"],
                SecretBox(gone).seal(lost["secret"], lost["id"]))  # fmt: skip
    before = (await stored(current["id"]))["secret"]

    done = await rekey(SecretBox(settings.webhook_secrets_key, old))

    assert lost["id"] in done.unreadable and done.resealed >= 2
    box = box_for(settings)
    for endpoint in (legacy, old_key):
        row = await stored(endpoint["id"])
        assert box.is_current(row["secret"]) and box.open(row["secret"], endpoint["id"]) == endpoint["secret"]
        assert endpoint["secret"] not in row["whole"]
    assert (await stored(current["id"]))["secret"] == before  # already under the current key: left alone
    assert (await stored(lost["id"]))["secret"].startswith(f"{PREFIX}.{key_id(gone)}.")  # kept for the right key

    # The command, as an operator runs it, against this test's database (the same derived key, from SECRET_KEY).
    await fetch("UPDATE webhook_endpoint SET secret = $2 WHERE id = $1", legacy["id"], legacy["secret"])
    result = subprocess.run([sys.executable, "-m", "market.cli", "webhooks", "rekey"], env=dict(os.environ),
                            capture_output=True, text=True, timeout=120)  # fmt: skip
    assert result.returncode == 1, result.stderr  # the lost row is named
    assert re.search(r"\d+ sealed anew", result.stdout) and lost["id"] in result.stderr
    assert box.is_current((await stored(legacy["id"]))["secret"])
