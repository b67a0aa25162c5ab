"""The `bank_transfer` payment method behind the gateway protocol (`market.payments.gateway`): nothing to call at
checkout (the instructions are derived from the order id and the settings, written with the order); money comes
in through the bank feed (`market.banking.service`), and goes back by the operators' transfer."""

from __future__ import annotations

from market.banking.instructions import instructions
from market.payments.gateway import PaymentRequest, PaymentStart, RefundOutcome, RefundRequest
from market.settings import Settings


class BankTransfer:
    method = "bank_transfer"
    confirms_at_checkout = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def prepared(self, request: PaymentRequest) -> PaymentStart | None:
        return PaymentStart("requires_transfer",
                            bank_transfer=instructions(self.settings, request.order_id, request.amount,
                                                       request.expires_at))  # fmt: skip

    async def start(self, request: PaymentRequest) -> PaymentStart:
        start = self.prepared(request)
        assert start is not None
        return start

    async def refund(self, request: RefundRequest) -> RefundOutcome:
        return RefundOutcome("manual")  # operators transfer it back to the account it came from
