"""The bank-feed simulator (`market.simulators.bank`, what `market bank-sim` serves) as the tests run it: a granian
process on its own port, with no webhook URL unless a test sets one (`/_sim/config`)."""

from __future__ import annotations

from typing import Any

import httpx

from tests.fakes.serving import Served


class BankSim(Served):
    api_token = "bank-sim-token-for-tests"

    def __init__(self, port: int) -> None:
        super().__init__("market.simulators.bank:create_from_env", "/_sim/transactions", port=port,
                         env={"BANK_FEED_API_TOKEN": self.api_token, "BANK_SIM_RETRY_S": "0.2,0.2,0.2"},
                         unset=("BANK_SIM_WEBHOOK_URL",), name="the bank simulator")  # fmt: skip

    def transactions(self) -> dict[str, Any]:
        return dict(httpx.get(f"{self.url}/_sim/transactions", timeout=10).json())
