"""The notification providers' stand-ins (`market mail-sim`, `market zns-sim`, `market sms-sim`) as the tests run
them: granian processes on ports of their own, started once, reset before each test that asks for them. The
app's SMTP client, ZNS client and SMS client talk to them over real sockets."""

from __future__ import annotations

import os
import subprocess
import time
from typing import Any

import httpx

from market.cli import granian_argv
from tests.services import free_port

ZNS_TOKEN = "zns-access-token-for-tests"
SMS_KEY = "sms-api-key-for-tests"


class Sim:
    def __init__(self, factory: str, probe: str, env: dict[str, str]) -> None:
        self.port = free_port()
        self.factory, self.probe, self.env = factory, probe, env
        self.process: subprocess.Popen[bytes] | None = None
        self.prefix: list[str] = []  # e.g. ["nice", "-n", "10"] (the benchmark)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        if self.process is not None and self.process.poll() is None:
            return
        argv = [*self.prefix, *granian_argv(self.factory, "127.0.0.1", self.port)]
        self.process = subprocess.Popen(argv, env={**os.environ, **self.env}, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(f"{self.url}{self.probe}", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        raise RuntimeError(f"{self.factory} did not start")

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


class NotifySims:
    """The three simulators; `env()` is what the app's settings read."""

    def __init__(self) -> None:
        self.smtp_port = free_port()
        self.mail = Sim("market.simulators.mail:create_from_env", "/messages",
                        {"MAIL_SIM_SMTP_HOST": "127.0.0.1", "MAIL_SIM_SMTP_PORT": str(self.smtp_port)})  # fmt: skip
        self.zns = Sim("market.simulators.zns:create_from_env", "/_sim/messages",
                       {"ZNS_SIM_ACCESS_TOKEN": ZNS_TOKEN, "ZNS_SIM_DAILY_QUOTA": "100000"})  # fmt: skip
        self.sms = Sim("market.simulators.sms:create_from_env", "/_sim/messages", {"SMS_SIM_API_KEY": SMS_KEY})

    def env(self) -> dict[str, str]:
        return {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(self.smtp_port), "ZNS_API_BASE": self.zns.url,
                "ZNS_ACCESS_TOKEN": ZNS_TOKEN, "SMS_API_BASE": self.sms.url, "SMS_API_KEY": SMS_KEY,
                "PUBLIC_BASE_URL": "https://cho.example.vn", "NOTIFY_TIMEOUT_S": "2"}  # fmt: skip

    def start(self) -> None:
        for sim in (self.mail, self.zns, self.sms):
            sim.start()

    def stop(self) -> None:
        for sim in (self.mail, self.zns, self.sms):
            sim.stop()

    def reset(self) -> None:
        for sim in (self.mail, self.zns, self.sms):
            sim.call("/_sim/reset")

    def emails(self) -> list[dict[str, Any]]:
        return list(self.mail.get("/messages"))

    def zns_messages(self) -> list[dict[str, Any]]:
        return list(self.zns.get("/_sim/messages"))

    def sms_messages(self) -> list[dict[str, Any]]:
        return list(self.sms.get("/_sim/messages"))
