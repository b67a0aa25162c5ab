"""The bank-feed simulator (`market.simulators.bank`, what `market bank-sim` serves) as the tests run it: a granian
process on its own port, with no webhook URL unless a test sets one (`/_sim/config`)."""

from __future__ import annotations

import os
import subprocess
import time
from typing import Any

import httpx

from market.cli import granian_argv


class BankSim:
    api_token = "bank-sim-token-for-tests"

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        env = {**os.environ, "BANK_FEED_API_TOKEN": self.api_token, "BANK_SIM_RETRY_S": "0.2,0.2,0.2"}
        env.pop("BANK_SIM_WEBHOOK_URL", None)
        argv = granian_argv("market.simulators.bank:create_from_env", "127.0.0.1", self.port)
        self.process = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}/_sim/transactions", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError("the bank simulator did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=15)
            self.process = None

    def call(self, path: str, body: Any = None) -> Any:
        answer = httpx.post(f"{self.url}{path}", json=body or {}, timeout=10)
        answer.raise_for_status()
        return answer.json()

    def transactions(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/_sim/transactions", timeout=10).json())
