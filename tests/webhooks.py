"""What the webhook tests share: the local sink, dispatchers that close, registering endpoints, emitting events
as a producer and the worker's handler would, and the README's verification snippet."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from market.core.db import transaction
from market.core.events import Event
from market.core.outbox.service import record
from market.webhooks import service
from market.webhooks.dispatcher import Dispatcher
from market.webhooks.sender import Resolver, Sender
from tests.factories import bearer
from tests.fakes.webhook_sink import WebhookSink

README = Path(__file__).resolve().parents[1] / "README.md"
SINK = WebhookSink()


@pytest.fixture(scope="module")
def sink() -> Iterator[WebhookSink]:
    SINK.start()
    yield SINK
    SINK.stop()


def documented_verifier() -> Callable[..., bool]:
    """The README's verification snippet, run as it is: all a receiver knows of the scheme."""
    block = README.read_text().split("<!-- webhook-verify:begin -->")[1].split("<!-- webhook-verify:end -->")[0]
    namespace: dict[str, Any] = {}
    exec(block.split("```python")[1].split("```")[0], namespace)
    return namespace["verify_market_signature"]  # type: ignore[no-any-return]


@pytest.fixture
async def dispatch() -> AsyncIterator[Callable[..., Dispatcher]]:
    made: list[Dispatcher] = []

    def make(timeout_s: float = 2.0, allow_loopback: bool = True, resolve: Resolver | None = None,
             per_endpoint: int = 2) -> Dispatcher:  # fmt: skip
        dispatcher = Dispatcher(Sender.create(timeout_s, allow_loopback, resolve), concurrency=20,
                                per_endpoint=per_endpoint)  # fmt: skip
        made.append(dispatcher)
        return dispatcher

    yield make
    for dispatcher in made:
        await dispatcher.close(grace_s=0)


async def register(client: httpx.AsyncClient, session: str, url: str, events: list[str] | None = None) -> dict:
    response = await client.post("/seller/v1/webhook-endpoints", json={"url": url, "enabled_events": events or ["*"]},
                                 headers=bearer(session))  # fmt: skip
    assert response.status_code == 201, response.text
    return dict(response.json())


async def endpoint_now(client: httpx.AsyncClient, seller: dict, endpoint: dict) -> dict:
    response = await client.get(f"/seller/v1/webhook-endpoints/{endpoint['id']}", headers=bearer(seller["session"]))
    return dict(response.json())


async def emit(event_type: str, payload: dict[str, Any]) -> Event:
    """Record an event as its producer would, then run the webhooks' handler on it as the worker would."""
    async with transaction():
        event_id = await record(event_type, payload)
    event = Event(event_id, event_type, payload)
    async with transaction():
        await service.fan_out(event)
    return event


def rejected(seller: dict) -> tuple[str, dict[str, Any]]:
    return "product.rejected", {"product_id": "prd_sample", "seller_id": seller["seller"]["id"]}


async def deliveries(client: httpx.AsyncClient, session: str, **query: Any) -> list[dict]:
    response = await client.get("/seller/v1/webhook-deliveries", params=query, headers=bearer(session))
    assert response.status_code == 200, response.text
    return list(response.json()["data"])
