"""Sellers' payout bank accounts: set or changed by the owner only, audited, and effective after a cooling-off.

Changing the destination just before a payout is the classic way to steal one, so every change (the first
account too) starts `PAYOUT_ACCOUNT_COOLING_OFF_H` hours during which no payout batch takes the seller: the money
waits in its available balance, it is never sent to the previous account either (the owner asked for it to
change). Rows are never rewritten: a change supersedes the current row and inserts a new one, so the history is
the rows. Reads show the account number's last four digits only.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from market.audit import service as audit
from market.core import clock
from market.core.banks import Bank, bank
from market.core.db import fetch, transaction
from market.core.errors import FieldError, NotFound, ValidationFailed
from market.core.ids import new_id
from market.core.outbox.service import record
from market.core.text import fold, nfc

ACCOUNT_DIGITS = re.compile(r"^[0-9]{6,19}$")
_SEPARATORS = re.compile(r"[\s.-]+")
_HOLDER = re.compile(r"^[A-Z][A-Z ]{0,68}[A-Z]$")
CHANGED = "seller_bank_account.changed"


@dataclass(frozen=True)
class BankAccount:
    """One version of a seller's payout account."""

    id: str
    seller_id: str
    bank_bin: str
    account_number: str
    holder_name: str
    actor: str
    effective_at: datetime
    superseded_at: datetime | None
    created_at: datetime

    @property
    def last4(self) -> str:
        return self.account_number[-4:]

    @property
    def bank(self) -> Bank | None:
        return bank(self.bank_bin)

    def effective(self, at: datetime) -> bool:
        """Payouts may go to it at `at`: current and past its cooling-off."""
        return self.superseded_at is None and self.effective_at <= at


def holder_name(value: str) -> str:
    """A holder name as banks print it: upper case ASCII without diacritics, single spaces ("Nguyễn Văn An" ->
    "NGUYEN VAN AN"); the caller checks the result against `_HOLDER`."""
    return " ".join(fold(nfc(value)).upper().split())


def account_number(value: str) -> str:
    """The account number without the spaces, dots and dashes people type between groups of digits."""
    return _SEPARATORS.sub("", value)


def validated(bank_bin: str, number: str, holder: str) -> tuple[str, str, str]:
    """(BIN, account number, holder name) normalised; ValidationFailed naming every field at fault."""
    errors: list[FieldError] = []
    if bank(bank_bin.strip()) is None:
        errors.append(FieldError("bank_bin", "unknown_bank", "Not the BIN of a NAPAS member bank (six digits)."))
    number = account_number(number)
    if not ACCOUNT_DIGITS.match(number):
        errors.append(FieldError("account_number", "invalid_account_number", "An account number is 6 to 19 digits."))
    holder = holder_name(holder)
    if not _HOLDER.match(holder):
        errors.append(FieldError("holder_name", "invalid_holder_name",
                                 "The holder's name as the bank prints it: 2 to 70 letters and spaces."))  # fmt: skip
    if errors:
        raise ValidationFailed(errors)
    return bank_bin.strip(), number, holder


def _account(row: Any) -> BankAccount:
    return BankAccount(**{name: row[name] for name in BankAccount.__dataclass_fields__})


async def current(seller_id: str) -> BankAccount | None:
    """The seller's current account (maybe still cooling off), or None."""
    rows = await fetch("SELECT * FROM seller_bank_account WHERE seller_id = $1 AND superseded_at IS NULL", seller_id)
    return _account(rows[0]) if rows else None


async def get_current(seller_id: str) -> BankAccount:
    """The seller's current account; NotFound when it has set none."""
    found = await current(seller_id)
    if found is None:
        raise NotFound("This seller has no payout bank account yet.")
    return found


async def history(seller_id: str, before: tuple[datetime, str] | None, limit: int) -> list[BankAccount]:
    """Every version of the seller's account, newest first (keyset on creation time and id)."""
    rows = await fetch(
        "SELECT * FROM seller_bank_account WHERE seller_id = $1 AND ($2::timestamptz IS NULL OR "
        "(created_at, id) < ($2, $3)) ORDER BY created_at DESC, id DESC LIMIT $4",
        seller_id,
        before[0] if before else None,
        before[1] if before else "",
        limit,
    )
    return [_account(row) for row in rows]


async def set_account(
    seller_id: str, bank_bin: str, number: str, holder: str, *, actor: str, cooling_off_h: int
) -> tuple[BankAccount, bool]:
    """Set or change the seller's payout account; returns it and whether it changed (the same details again
    change nothing, and keep the running cooling-off). Audited and `seller_bank_account.changed` in the outbox.

    Raises:
        ValidationFailed: `unknown_bank`, `invalid_account_number`, `invalid_holder_name`.
    """
    bank_bin, number, holder = validated(bank_bin, number, holder)
    async with transaction():
        # One change at a time per seller, the first included (there is no row to lock yet).
        await fetch("SELECT pg_advisory_xact_lock(hashtext('seller_bank_account:' || $1))", seller_id)
        before = await current(seller_id)
        if before and (before.bank_bin, before.account_number, before.holder_name) == (bank_bin, number, holder):
            return before, False
        now = clock.now()
        effective_at = now + timedelta(hours=cooling_off_h)
        if before:
            await fetch("UPDATE seller_bank_account SET superseded_at = $2 WHERE id = $1", before.id, now)
        rows = await fetch(
            "INSERT INTO seller_bank_account (id, seller_id, bank_bin, account_number, holder_name, actor, "
            "effective_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING *",
            new_id("sba"), seller_id, bank_bin, number, holder, actor, effective_at, now,
        )  # fmt: skip
        account = _account(rows[0])
        await audit.record(actor, CHANGED, "seller", seller_id, details={
            "bank_account_id": account.id, "bank_bin": bank_bin, "last4": account.last4, "holder_name": holder,
            "previous_bank_bin": before.bank_bin if before else None,
            "previous_last4": before.last4 if before else None, "effective_at": effective_at.isoformat(),
        })  # fmt: skip
        await record(CHANGED, {"seller_id": seller_id, "bank_bin": bank_bin, "last4": account.last4,
                               "effective_at": effective_at.isoformat()})  # fmt: skip
    return account, True


async def cooled_off(at: datetime) -> dict[str, str]:
    """Every seller's current bank account that is past its cooling-off at `at`: seller id -> account id."""
    rows = await fetch(
        "SELECT seller_id, id FROM seller_bank_account WHERE superseded_at IS NULL AND effective_at <= $1", at
    )
    return {row["seller_id"]: row["id"] for row in rows}


async def effective_accounts(seller_ids: list[str], at: datetime) -> dict[str, BankAccount]:
    """The current, cooled-off account of each of these sellers that has one."""
    rows = await fetch(
        "SELECT * FROM seller_bank_account WHERE seller_id = ANY($1::varchar[]) AND superseded_at IS NULL "
        "AND effective_at <= $2",
        seller_ids,
        at,
    )
    return {row["seller_id"]: _account(row) for row in rows}
