"""Account names. A seller has three accounts; the marketplace has one of each of the others.

- `seller:<sel_id>:pending` (credit): sales paid (card, bank transfer) or collected (COD), not yet released;
- `seller:<sel_id>:available` (credit): released (return window over and, for COD, the remittance matched);
- `seller:<sel_id>:in_transit` (credit): in a payout sent to the bank, not yet confirmed paid (or failed);
- `card_clearing` (debit): card money the processor (Stripe) holds for the marketplace;
- `bank_clearing` (debit): the marketplace's bank account: transfers in, carrier remittances, minus payouts;
- `cod_receivable` (debit): cash the carrier collected at the door and has not remitted yet;
- `commission_revenue` (credit): the marketplace's commission on goods;
- `tax_payable:vat`, `tax_payable:pit` (credit): VAT and PIT withheld for household sellers (Decree 117/2025);
- `shipping_payable` (credit): shipping fees buyers paid, owed to the carrier (its remittance fees debit it);
- `refunds_payable` (credit): money owed back to buyers (paid out through `card_clearing` or by bank transfer);
- `bank_suspense` (credit): incoming bank transfers not matched to an order yet.
"""

from __future__ import annotations

import functools
import re
from typing import Literal

Bucket = Literal["pending", "available", "in_transit"]
BUCKETS: tuple[Bucket, ...] = ("pending", "available", "in_transit")

CARD_CLEARING = "card_clearing"
BANK_CLEARING = "bank_clearing"
COD_RECEIVABLE = "cod_receivable"
COMMISSION_REVENUE = "commission_revenue"
TAX_VAT = "tax_payable:vat"
TAX_PIT = "tax_payable:pit"
SHIPPING_PAYABLE = "shipping_payable"
REFUNDS_PAYABLE = "refunds_payable"
BANK_SUSPENSE = "bank_suspense"

PLATFORM: dict[str, str] = {
    CARD_CLEARING: "debit",
    BANK_CLEARING: "debit",
    COD_RECEIVABLE: "debit",
    COMMISSION_REVENUE: "credit",
    TAX_VAT: "credit",
    TAX_PIT: "credit",
    SHIPPING_PAYABLE: "credit",
    REFUNDS_PAYABLE: "credit",
    BANK_SUSPENSE: "credit",
}
"""The marketplace's own accounts and their normal side."""

_SELLER_ID = r"sel_[0-9a-z]{1,26}"
_SELLER = re.compile(rf"^seller:({_SELLER_ID}):(pending|available|in_transit)$")
is_seller_id = re.compile(_SELLER_ID).fullmatch
"""Whether a string is a seller id that accounts can be named after (a match, or None)."""


def seller(seller_id: str, bucket: Bucket) -> str:
    """A seller's account: `seller("sel_x", "available") == "seller:sel_x:available"`."""
    return f"seller:{seller_id}:{bucket}"


def seller_sql(seller_id: str, bucket: Bucket) -> str:
    """`seller()` as an SQL expression over the SQL expression `seller_id` (a column), for statements that name many
    accounts at once: `seller_sql("x.seller_id", "available") == "('seller:' || x.seller_id || ':available')"`."""
    if bucket not in BUCKETS:
        raise ValueError(f"not a seller's balance: {bucket!r}")
    return f"('seller:' || {seller_id} || ':{bucket}')"


def pending(seller_id: str) -> str:
    return seller(seller_id, "pending")


def available(seller_id: str) -> str:
    return seller(seller_id, "available")


def in_transit(seller_id: str) -> str:
    return seller(seller_id, "in_transit")


@functools.lru_cache(maxsize=65_536)
def describe(name: str) -> tuple[str | None, str, str]:
    """(seller id or None, kind, normal side) of an account name; ValueError for a name that is not one."""
    if name in PLATFORM:
        return None, name, PLATFORM[name]
    match = _SELLER.match(name)
    if match is None:
        raise ValueError(f"not a ledger account: {name!r}")
    return match.group(1), match.group(2), "credit"


def shown(balance: int, normal: str) -> int:
    """A stored balance (debits minus credits) as people read it: positive on the account's normal side."""
    return balance if normal == "debit" else -balance
