"""What crosses HTTP for the ledger, commissions and tax (msgspec)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from market.core.schemas import Input

EntryKind = Literal[
    "payment", "catch_weight", "cancellation", "return", "refund", "release", "sale", "cod_remittance",
    "refund_paid", "bank_credit", "payout_reserved", "payout_paid", "payout_failed", "payout_returned", "manual",
]  # fmt: skip
"""What an entry records: a sale paid (or collected at the door), a catch-weight adjustment, a cancellation, a
return, a refund, money released to available; cash: a COD remittance, a card refund sent, a bank transfer; a
payout reserved, paid, failed or returned."""
Bps = Annotated[int, msgspec.Meta(ge=0, le=10_000, description="Basis points of the goods amount (800 = 8%).")]
Fixed = Annotated[int, msgspec.Meta(ge=0, le=100_000_000, description="Đồng per order line.")]
ScopeId = Annotated[str, msgspec.Meta(min_length=1, max_length=32)]
Note = Annotated[str, msgspec.Meta(max_length=500)]


class SellerBalanceOut(msgspec.Struct):
    """A seller's balances in đồng: `pending` (sales not yet released), `available` (payable), `in_transit` (in a
    payout on its way)."""

    seller_id: str
    pending: int
    available: int
    in_transit: int
    currency: str = "VND"
    object: str = "balance"


class LedgerLineOut(msgspec.Struct):
    """One line: `amount` > 0 debits the account, < 0 credits it."""

    account: str
    amount: int


class LedgerEntryOut(msgspec.Struct):
    """A journal entry, with the change it made to the seller's balances (positive: more owed to the seller)."""

    id: str
    kind: str
    memo: str
    seller_order_id: str | None
    created_at: datetime
    pending: int
    available: int
    in_transit: int
    lines: list[LedgerLineOut]
    seller_id: str | None = None
    currency: str = "VND"
    object: str = "ledger_entry"


class LedgerAccountOut(msgspec.Struct):
    """One of the marketplace's own accounts, its balance positive on its normal side (`debit` or `credit`)."""

    id: str
    normal: str
    balance: int
    currency: str = "VND"
    object: str = "ledger_account"


class LedgerAccountList(msgspec.Struct):
    data: list[LedgerAccountOut]
    has_more: bool = False
    next_cursor: str | None = None
    object: str = "list"


class CommissionRuleIn(Input):
    """A commission rule: `bps` (basis points of the goods) or `fixed` (đồng per order line), one of the two,
    scoped to a seller, a category, both or neither (the global default)."""

    bps: Bps | None = None
    fixed: Fixed | None = None
    seller_id: ScopeId | None = None
    category_id: ScopeId | None = None
    note: Note = ""


class CommissionRulePatch(Input):
    """Change a rule's rate (one of `bps`, `fixed`), note, or switch it off (`active: false`). Orders placed before
    keep the terms frozen on them."""

    bps: Bps | None = None
    fixed: Fixed | None = None
    active: bool | None = None
    note: Note | None = None


class CommissionRuleOut(msgspec.Struct):
    id: str
    bps: int | None
    fixed: int | None
    seller_id: str | None
    category_id: str | None
    active: bool
    note: str
    created_at: datetime
    updated_at: datetime
    scope: str
    object: str = "commission_rule"
