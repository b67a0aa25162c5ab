"""What crosses HTTP for bank transfers and the bank feed (msgspec)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from market.core.schemas import Input, Reason


class FeedAck(msgspec.Struct):
    """What SePay expects back from a webhook it delivered (anything else, and it retries)."""

    success: bool = True


class BankTransferOut(msgspec.Struct):
    """The bank transfer that pays (the rest of) the order: scan `payload` (or the QR image at `qr_png_url` /
    `qr_svg_url`, valid until `expires_at`) in a banking app, or type the plain fields. `reference` must be in
    the transfer text; `amount` is what is still missing."""

    bank_bin: str
    bank_name: str
    account_number: str
    account_holder: str
    amount: int
    reference: str
    payload: str
    qr_png_url: str
    qr_svg_url: str
    expires_at: str | None


class BankCreditOut(msgspec.Struct):
    """A transaction the bank feed reported, and what matching made of it: `outcome` matched, short, over,
    late_reserved, refund_flagged, unmatched (or outgoing); `queue` open while it waits for an operator, then
    assigned or refund_flagged; `refund_amount`, what is flagged to give back."""

    id: str
    provider: str
    provider_id: str
    gateway: str
    account_number: str
    transferred_at: str | None
    direction: str
    amount: int
    content: str
    bank_reference: str | None
    reference: str | None
    order_id: str | None
    outcome: str
    queue: str | None
    refund_amount: int
    refund_reason: str | None
    resolved_by: str | None
    resolved_at: str | None
    received_at: str | None
    currency: str = "VND"
    object: str = "bank_credit"


class AssignIn(Input):
    """Apply this credit to an order (as if its transfer text had carried the order's reference)."""

    order_id: Annotated[str, msgspec.Meta(min_length=1, max_length=40)]
    reason: Reason


class FlagRefundIn(Input):
    reason: Reason


class ReconcileOut(msgspec.Struct):
    """What a pull of the provider's transaction list added (credits the webhooks had missed)."""

    fetched: int
    added: int
    object: str = "bank_reconciliation"
