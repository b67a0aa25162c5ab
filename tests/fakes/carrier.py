"""The carrier simulator (`market.shipping.simulator`, what `market carrier-sim` serves) as the tests run it: a
granian process on its own port, with no schedule (the tests move parcels) and no webhook URL (the tests take the
signed webhooks it produces and deliver them to the app, in whatever order and number they choose)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fakes.serving import Served
from tests.services import free_port

__all__ = ["CarrierSim", "free_port"]


class CarrierSim(Served):
    partner_id = "market-tests"
    partner_secret = "sim-partner-secret-for-tests"
    webhook_secret = "sim-webhook-secret-for-tests"

    def __init__(self, port: int) -> None:
        env = {"CARRIER_PARTNER_ID": self.partner_id, "CARRIER_PARTNER_SECRET": self.partner_secret,
               "CARRIER_WEBHOOK_SECRET": self.webhook_secret, "CARRIER_SIM_TICK_S": "0",
               "CARRIER_SIM_FAIL_PERCENT": "0"}  # fmt: skip
        super().__init__("market.shipping.simulator:create_from_env", "/_sim/parcels", port=port, env=env,
                         unset=("CARRIER_SIM_WEBHOOK_URL",), name="the carrier simulator")  # fmt: skip

    def reset(self) -> None:
        self.call("/_sim/reset")

    def faults(self, **faults: Any) -> None:
        self.call("/_sim/faults", faults)

    def parcels(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/_sim/parcels", timeout=10).json())

    def advance(self, order_code: str, steps: int = 1) -> dict[str, Any]:
        return dict(self.call("/_sim/advance", {"order_code": order_code, "steps": steps}))

    def take(self) -> list[dict[str, str]]:
        return list(self.call("/_sim/outbox/take"))

    def remittance(self) -> tuple[str, str]:
        """The carrier's next COD remittance batch, as its partner API serves it: (batch id, CSV text)."""
        token = self.call("/api/v1/token", {"partner_id": self.partner_id, "secret": self.partner_secret})["token"]
        answer = httpx.get(f"{self.url}/api/v1/remittances/next.csv", headers={"Token": token}, timeout=10)
        answer.raise_for_status()
        return answer.headers["X-Batch-Id"], answer.text
