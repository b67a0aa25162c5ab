"""What crosses HTTP for bank accounts, payout batches and payouts."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import msgspec

from market.core.schemas import Input, Reason


class BankAccountIn(Input):
    """The payout account: the bank's NAPAS BIN, the account number, the holder's name (normalised to upper case
    without diacritics, as banks print it)."""

    bank_bin: Annotated[str, msgspec.Meta(min_length=1, max_length=6, examples=["970436"])]
    account_number: Annotated[str, msgspec.Meta(min_length=1, max_length=30, examples=["0071000123456"])]
    holder_name: Annotated[str, msgspec.Meta(min_length=1, max_length=120, examples=["Nguyễn Văn An"])]


class BankAccountOut(msgspec.Struct):
    """One version of a seller's payout account; the number is masked but for its last four digits."""

    id: str
    bank_bin: str
    bank_code: str
    bank_name: str
    account_number_masked: str
    last4: str
    holder_name: str
    effective_at: str
    cooling_off: bool
    current: bool
    set_by: str
    created_at: str
    superseded_at: str | None
    object: str = "seller_bank_account"


class PayoutBatchIn(Input):
    """The period (Vietnamese dates, inclusive) a batch pays for."""

    period_start: date
    period_end: date


class PayoutBatchOut(msgspec.Struct):
    """A payout batch: its period, totals, where its lines stand and when it was first exported."""

    id: str
    number: int
    period_start: str
    period_end: str
    status: str
    line_count: int
    total: int
    pending: int
    paid: int
    failed: int
    returned: int
    created_by: str
    created_at: str
    exported_at: str | None
    currency: str = "VND"
    object: str = "payout_batch"


class PayoutOut(msgspec.Struct):
    """One seller's transfer in a batch: to whom, how much, its reference, where it stands; `vietqr` is the EMVCo
    payload of the transfer (for banks without bulk upload; as an image at `.../lines/{id}/qr`)."""

    id: str
    batch_id: str
    seller_id: str
    amount: int
    reference: str
    status: str
    bank_bin: str
    bank_name: str
    account_number_masked: str
    holder_name: str
    bank_reference: str | None
    reason: str | None
    created_at: str
    paid_at: str | None
    failed_at: str | None
    returned_at: str | None
    currency: str = "VND"
    object: str = "payout"


class AdminPayoutOut(PayoutOut, kw_only=True):
    """A payout line as operators see it: the full account number and the VietQR payload."""

    account_number: str
    vietqr: str


class PayoutBatchDetail(PayoutBatchOut, kw_only=True):
    """A batch with its first lines (all of them up to 100; the rest through `.../lines`)."""

    lines: list[AdminPayoutOut]
    lines_has_more: bool


class PayoutPaidIn(Input):
    """The bank's reference of the transfer."""

    bank_reference: Annotated[str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[\x21-\x7e ]+$")]


class PayoutReasonIn(Input):
    """Why the bank did not make (or sent back) the transfer."""

    reason: Reason
