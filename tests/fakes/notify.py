"""The notification providers' stand-ins (`market mail-sim`, `market zns-sim`, `market sms-sim`) as the tests run
them: granian processes on ports of their own, started once, reset before each test that asks for them. The
app's SMTP client, ZNS client and SMS client talk to them over real sockets."""

from __future__ import annotations

from typing import Any

from tests.fakes.serving import Served
from tests.services import free_port

ZNS_TOKEN = "zns-access-token-for-tests"
SMS_KEY = "sms-api-key-for-tests"


class NotifySims:
    """The three simulators; `env()` is what the app's settings read."""

    def __init__(self) -> None:
        self.smtp_port = free_port()
        mail_env = {"MAIL_SIM_SMTP_HOST": "127.0.0.1", "MAIL_SIM_SMTP_PORT": str(self.smtp_port)}
        self.mail = Served("market.simulators.mail:create_from_env", "/messages", env=mail_env)
        self.zns = Served("market.simulators.zns:create_from_env", "/_sim/messages",
                          env={"ZNS_SIM_ACCESS_TOKEN": ZNS_TOKEN, "ZNS_SIM_DAILY_QUOTA": "100000"})  # fmt: skip
        self.sms = Served("market.simulators.sms:create_from_env", "/_sim/messages", env={"SMS_SIM_API_KEY": SMS_KEY})

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
