"""The webhook sink (`market.simulators.webhook_sink`, what `market webhook-sink` serves) as the tests run it: a
granian process on its own port; each test uses boxes of its own (`/hooks/<box>`)."""

from __future__ import annotations

import secrets
from typing import Any

import httpx

from tests.fakes.serving import Served


class WebhookSink(Served):
    def __init__(self, port: int | None = None) -> None:
        super().__init__("market.simulators.webhook_sink:create_app", "/", port=port, name="the webhook sink")

    def box(self, name: str = "") -> str:
        """A fresh box's URL (the endpoint to register)."""
        return f"{self.url}/hooks/{name or secrets.token_hex(6)}"

    @staticmethod
    def _name(box_url: str) -> str:
        return box_url.rsplit("/", 1)[1]

    async def received(self, box_url: str) -> list[dict[str, Any]]:
        async with httpx.AsyncClient() as client:
            answer = await client.get(f"{self.url}/_sink/boxes/{self._name(box_url)}", timeout=10)
        return list(answer.json())

    async def behave(self, box_url: str, **behaviour: Any) -> None:
        async with httpx.AsyncClient() as client:
            answer = await client.post(f"{self.url}/_sink/boxes/{self._name(box_url)}/behaviour", json=behaviour)
            answer.raise_for_status()
