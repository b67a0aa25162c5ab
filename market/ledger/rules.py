"""The posting rules: the one place that says which lines an event posts (the README's table is this module).

**A seller order's sale is posted by state, not by event.** For every seller order the rules compute the position
its money should have in the ledger now (`target`: what came in, what went back, the carrier's shipping, the
commission, the tax withheld and the seller's net, pending or available) from the seller order as it stands, and
an event that concerns it posts the difference between that target and what its sale entries posted so far. So:
- the same event delivered twice posts once (the handler's receipt, and the entry's source `<event id>:<sor id>`);
- events delivered late or out of order (a `completed` before its `cod_remitted`, a `packed` after a `cancelled`)
  still end where the seller order is: the later one finds nothing left to post;
- corrections are new entries (a refund after completion takes the money back from `available`).
Per seller order, the sale entries sum to: buyer paid (Dr clearing) = refunds + shipping + commission + VAT + PIT +
seller net (credits), because every entry sums to zero.

Cash that moves independently of a sale posts its own entries: the carrier's COD remittance (cash in, its fee kept
back), card refunds sent to the processor, and the bank transfers of `bank_credit.*`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from market.ledger import accounts
from market.ledger.service import Line
from market.orders.money import MoneyFacts

SALE_KINDS = ("payment", "catch_weight", "cancellation", "return", "refund", "release", "sale")
"""Kinds of the entries that carry a seller order's sale position (`posted` sums these)."""

GONE = ("cancelled", "returned", "refunded")
"""Statuses in which everything the buyer paid for the seller order goes back to them."""


def clearing(payment_method: str) -> str:
    """Where a seller order's money comes in: the processor for cards, the carrier's receivable for cash on
    delivery; a bank transfer is applied from `bank_suspense`, where `bank_credit.received` put the money."""
    if payment_method == "card":
        return accounts.CARD_CLEARING
    if payment_method == "cod":
        return accounts.COD_RECEIVABLE
    return accounts.BANK_SUSPENSE


def _share(amount: int, numerator: int, denominator: int) -> int:
    """`amount * numerator / denominator`, rounded half up (amounts are never negative here)."""
    return (amount * numerator * 2 + denominator) // (denominator * 2)


@dataclass(frozen=True)
class Split:
    """A seller order's money as the ledger should hold it (every figure >= 0;
    received == refunded + shipping + commission + vat + pit + net)."""

    received: int = 0
    refunded: int = 0
    shipping: int = 0
    commission: int = 0
    vat: int = 0
    pit: int = 0
    net: int = 0
    released: bool = False


def split(facts: MoneyFacts) -> Split:
    """Where the seller order's money stands now.

    - Nothing before the money came in: a card (or transfer) order before `order.paid`, cash on delivery before the
      carrier collected it at the door.
    - Received: the seller order's charge at checkout (card, transfer: subtotal + shipping) or the cash collected.
    - Refunded: all of it when the seller order was cancelled after payment, sent back or refunded by an operator;
      otherwise the goods charged above the final (catch-weight) amount and what returns after delivery gave back.
    - Kept goods pay the tax withheld (VAT, PIT: basis points frozen at checkout) and the commission (millionths
      frozen at checkout, plus the fixed amounts per line while any goods are kept, never more than what is left);
      the seller's net is the rest. Shipping kept goes to the carrier's account.
    - Released (available, not pending) once completed, and for cash on delivery only once the carrier's
      remittance for it was matched (`cod_remitted`): an unpaid or disputed parcel holds it.
    """
    if facts.payment_method == "cod":
        if facts.cod_collected is None:
            return Split()
        received = facts.cod_collected
    else:
        if not facts.paid:
            return Split()
        received = facts.subtotal + facts.shipping_fee
    goods = max(0, received - facts.shipping_fee)
    shipping = received - goods
    if facts.status in GONE:
        return Split(received=received, refunded=received)
    final = facts.final_subtotal if facts.final_subtotal is not None else facts.subtotal
    refunded_goods = min(goods, max(0, goods - final) + facts.returned_amount)
    kept = goods - refunded_goods
    vat = _share(kept, facts.tax_vat_bps, 10_000)
    pit = _share(kept, facts.tax_pit_bps, 10_000)
    commission = _share(kept, facts.commission_ppm, 1_000_000) + (facts.commission_fixed if kept else 0)
    commission = min(commission, kept - vat - pit)
    released = facts.status == "completed" and (facts.payment_method != "cod" or facts.cod_remitted is not None)
    return Split(received, refunded_goods, shipping, commission, vat, pit, kept - commission - vat - pit, released)


def target(facts: MoneyFacts) -> dict[str, int]:
    """The signed balance each account should hold for this seller order's sale (debits positive)."""
    money = split(facts)
    if not money.received:
        return {}
    seller = accounts.available(facts.seller_id) if money.released else accounts.pending(facts.seller_id)
    return {
        clearing(facts.payment_method): money.received,
        accounts.REFUNDS_PAYABLE: -money.refunded,
        accounts.SHIPPING_PAYABLE: -money.shipping,
        accounts.COMMISSION_REVENUE: -money.commission,
        accounts.TAX_VAT: -money.vat,
        accounts.TAX_PIT: -money.pit,
        seller: -money.net,
    }


def difference(wanted: Mapping[str, int], posted: Mapping[str, int]) -> list[Line]:
    """The lines that take the posted position to the wanted one (empty when they agree)."""
    lines = [Line(account, amount - posted.get(account, 0)) for account, amount in wanted.items()
             if amount != posted.get(account, 0)]  # fmt: skip
    lines += [Line(account, -amount) for account, amount in posted.items() if amount and account not in wanted]
    return lines


KIND_OF_EVENT = {
    "order.paid": "payment",
    "seller_order.delivered": "payment",
    "seller_order.packed": "catch_weight",
    "seller_order.cancelled": "cancellation",
    "seller_order.returned": "return",
    "return.refunded": "return",
    "seller_order.refunded": "refund",
    "seller_order.completed": "release",
    "seller_order.cod_remitted": "release",
}
"""The kind of the sale entry each event posts (what the seller's ledger shows)."""

MEMO_OF_KIND = {
    "payment": "Thanh toán đơn hàng",
    "catch_weight": "Điều chỉnh theo khối lượng thực tế",
    "cancellation": "Hủy đơn hàng",
    "return": "Hoàn trả hàng",
    "refund": "Hoàn tiền",
    "release": "Tiền có thể rút",
    "sale": "Điều chỉnh",
}


def cod_remittance(seller_order_id: str, amount: int, fee: int) -> list[Line]:
    """The carrier paid over a parcel's cash less its fee: the bank gets the rest, the fee settles shipping."""
    fee = max(0, min(fee, amount))
    return [Line(accounts.BANK_CLEARING, amount - fee), Line(accounts.SHIPPING_PAYABLE, fee),
            Line(accounts.COD_RECEIVABLE, -amount)]  # fmt: skip


def refund_sent(amount: int) -> list[Line]:
    """A card refund went to the processor: the buyer is no longer owed it, the processor holds less."""
    return [Line(accounts.REFUNDS_PAYABLE, amount), Line(accounts.CARD_CLEARING, -amount)]


def bank_credit_received(amount: int) -> list[Line]:
    """Every incoming transfer lands in the bank and waits in suspense until an order's payment applies it (a
    matched credit is applied by that order's `order.paid` at once; the rest waits for an operator or a refund)."""
    return [Line(accounts.BANK_CLEARING, amount), Line(accounts.BANK_SUSPENSE, -amount)]


def bank_credit_refund_flagged(amount: int) -> list[Line]:
    """Received money that must go back (excess, cancelled order, operator): from suspense to refunds owed."""
    return [Line(accounts.BANK_SUSPENSE, amount), Line(accounts.REFUNDS_PAYABLE, -amount)]
