"""The webhook sink (`market.simulators.webhook_sink`, what `market webhook-sink` serves) as the tests run it: a
granian process on its own port; each test uses boxes of its own (`/hooks/<box>`)."""

from __future__ import annotations

import os
import secrets
import subprocess
import time
from typing import Any

import httpx

from market.cli import granian_argv
from tests.services import free_port


class WebhookSink:
    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def box(self, name: str = "") -> str:
        """A fresh box's URL (the endpoint to register)."""
        return f"{self.url}/hooks/{name or secrets.token_hex(6)}"

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        argv = granian_argv("market.simulators.webhook_sink:create_app", "127.0.0.1", self.port)
        self.process = subprocess.Popen(argv, env=dict(os.environ), stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the webhook sink did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)
            self.process = None

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
