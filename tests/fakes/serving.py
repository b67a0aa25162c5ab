"""A simulator app (`market.simulators.*`, `market.shipping.simulator`) served the way the tests run it: a granian
process on a port of its own, started once (waiting until it answers), stopped at the end of the session."""

from __future__ import annotations

import os
import subprocess
import time
from typing import Any

import httpx

from market.cli import granian_argv
from tests.services import free_port


class Served:
    """`factory` is granian's `module:callable`; `probe` a path that answers once the app is up; `env` is laid over
    `os.environ` and `unset` taken out of it (a webhook URL the tests do not want, say)."""

    def __init__(self, factory: str, probe: str, *, port: int | None = None, env: dict[str, str] | None = None,
                 unset: tuple[str, ...] = (), name: str = "") -> None:  # fmt: skip
        self.port = port or free_port()
        self.factory, self.probe, self.env, self.unset = factory, probe, env or {}, unset
        self.name = name or factory
        self.process: subprocess.Popen[bytes] | None = None
        self.prefix: list[str] = []  # e.g. ["nice", "-n", "10"] (the benchmark)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        env = {**os.environ, **self.env}
        for name in self.unset:
            env.pop(name, None)
        argv = [*self.prefix, *granian_argv(self.factory, "127.0.0.1", self.port)]
        self.process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}{self.probe}", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)
            self.process = None

    def call(self, path: str, body: Any = None) -> Any:
        answer = httpx.post(f"{self.url}{path}", json=body or {}, timeout=10)
        answer.raise_for_status()
        return answer.json()

    def get(self, path: str) -> Any:
        answer = httpx.get(f"{self.url}{path}", timeout=10)
        answer.raise_for_status()
        return answer.json()
