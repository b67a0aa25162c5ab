"""Rows to what the API answers."""

from __future__ import annotations

from market.core import clock
from market.core.banks import bank
from market.core.schemas import rfc3339
from market.payouts.accounts import BankAccount
from market.payouts.exports import payload
from market.payouts.schemas import AdminPayoutOut, BankAccountOut, PayoutBatchDetail, PayoutBatchOut, PayoutOut
from market.payouts.service import Batch, Line


def masked(number: str) -> str:
    """All but the last four digits hidden: "0071000123456" -> "*********3456"."""
    return "*" * (len(number) - 4) + number[-4:]


def bank_account_out(account: BankAccount) -> BankAccountOut:
    found = bank(account.bank_bin)
    return BankAccountOut(
        id=account.id, bank_bin=account.bank_bin, bank_code=found.code if found else "",
        bank_name=found.short_name if found else "", account_number_masked=masked(account.account_number),
        last4=account.last4, holder_name=account.holder_name, effective_at=rfc3339(account.effective_at) or "",
        cooling_off=account.superseded_at is None and account.effective_at > clock.now(),
        current=account.superseded_at is None, set_by=account.actor, created_at=rfc3339(account.created_at) or "",
        superseded_at=rfc3339(account.superseded_at),
    )  # fmt: skip


def _batch_fields(batch: Batch) -> dict[str, object]:
    return {
        "id": batch.id, "number": batch.number, "period_start": batch.period_start.isoformat(),
        "period_end": batch.period_end.isoformat(), "status": batch.status, "line_count": batch.line_count,
        "total": batch.total, "pending": batch.pending, "paid": batch.paid, "failed": batch.failed,
        "returned": batch.returned, "created_by": batch.actor, "created_at": rfc3339(batch.created_at) or "",
        "exported_at": rfc3339(batch.exported_at),
    }  # fmt: skip


def batch_out(batch: Batch) -> PayoutBatchOut:
    return PayoutBatchOut(**_batch_fields(batch))  # type: ignore[arg-type]


def batch_detail(batch: Batch, lines: list[Line], has_more: bool) -> PayoutBatchDetail:
    return PayoutBatchDetail(**_batch_fields(batch), lines=[admin_payout_out(line) for line in lines],  # type: ignore[arg-type]
                       lines_has_more=has_more)  # fmt: skip


def _payout_fields(line: Line) -> dict[str, object]:
    found = bank(line.bank_bin)
    return {
        "id": line.id, "batch_id": line.batch_id, "seller_id": line.seller_id, "amount": line.amount,
        "reference": line.reference, "status": line.status, "bank_bin": line.bank_bin,
        "bank_name": found.short_name if found else "", "account_number_masked": masked(line.account_number),
        "holder_name": line.holder_name, "bank_reference": line.bank_reference, "reason": line.reason,
        "created_at": rfc3339(line.created_at) or "", "paid_at": rfc3339(line.paid_at),
        "failed_at": rfc3339(line.failed_at), "returned_at": rfc3339(line.returned_at),
    }  # fmt: skip


def payout_out(line: Line) -> PayoutOut:
    return PayoutOut(**_payout_fields(line))  # type: ignore[arg-type]


def admin_payout_out(line: Line) -> AdminPayoutOut:
    return AdminPayoutOut(**_payout_fields(line), account_number=line.account_number,  # type: ignore[arg-type]
                          vietqr=payload(line))  # fmt: skip
