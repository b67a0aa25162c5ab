"""Ledger handlers of the worker: every money event posts through the rules (`market.ledger.rules`), inside the
handler's transaction with its receipt, so that a redelivered event posts once (and the entry's unique source
makes sure of it again)."""

from __future__ import annotations

from market.core.events import Event, registry
from market.ledger import posting, rules
from market.orders import money
from market.payments.money import refund_facts


async def _sync(event: Event, seller_order_ids: list[str]) -> None:
    await posting.sync_sales(seller_order_ids, event.id, rules.KIND_OF_EVENT[event.type], event.id)


@registry.on("order.paid", name="ledger.order_paid")
async def order_paid(event: Event) -> None:
    """A card (or transfer) payment came in: each seller order's sale is posted, pending."""
    await _sync(event, await money.seller_order_ids(event.payload["order_id"]))


async def seller_order_changed(event: Event) -> None:
    """A seller order's money moved (collected, packed, cancelled, sent back, refunded, completed, returns)."""
    await _sync(event, [event.payload["seller_order_id"]])


for _type in ("seller_order.delivered", "seller_order.packed", "seller_order.cancelled", "seller_order.returned",
              "seller_order.refunded", "seller_order.completed", "return.refunded"):  # fmt: skip
    registry.on(_type, name="ledger.sale")(seller_order_changed)


@registry.on("seller_order.cod_remitted", name="ledger.cod_remitted")
async def cod_remitted(event: Event) -> None:
    """The carrier paid a parcel's cash over: the cash entry, then the sale (completed and remitted: available)."""
    facts = event.payload
    await posting.cash(
        f"cod_remitted:{facts['seller_order_id']}", rules.cod_remittance(facts["seller_order_id"], facts["amount"],
        facts.get("fee") or 0), f"Bưu điện chuyển tiền thu hộ ({facts.get('batch') or ''})", "cod_remittance",
        seller_order_id=facts["seller_order_id"], event_id=event.id,
    )  # fmt: skip
    await _sync(event, [facts["seller_order_id"]])


@registry.on("refund.requested", name="ledger.refund_sent")
async def refund_sent(event: Event) -> None:
    """A card refund goes to the processor: a seller order's sale (or a part cancelled while the payment was pending)
    already owes it to the buyer. An operator's refund of an order, not of a seller order, is not allocated to any
    sale: it shows as a debit of `refunds_payable` (see the README)."""
    refund = await refund_facts(event.payload["refund_id"])
    if refund is None or not refund.by_card or refund.request_key.startswith("late_payment:"):
        return  # a payment that came after its order closed never reached a sale: in and out, nothing to post
    await posting.cash(f"refund:{refund.refund_id}:sent", rules.refund_sent(refund.amount), "Hoàn tiền thẻ",
                       "refund_paid", seller_order_id=refund.seller_order_id, event_id=event.id)  # fmt: skip


@registry.on("bank_credit.received", name="ledger.bank_credit_received")
async def bank_credit_received(event: Event) -> None:
    """Every stored incoming transfer: in the bank, in suspense until an order's payment applies it."""
    facts = event.payload
    if facts["amount"] > 0:
        await posting.cash(f"bank_credit:{facts['credit_id']}:received", rules.bank_credit_received(facts["amount"]),
                           f"Chuyển khoản đến ({facts.get('outcome')})", "bank_credit", event_id=event.id)  # fmt: skip


@registry.on("bank_credit.refund_flagged", name="ledger.bank_credit_refund_flagged")
async def bank_credit_refund_flagged(event: Event) -> None:
    """Received money to give back: from suspense to refunds owed (paid back by transfer)."""
    facts = event.payload
    if facts["amount"] > 0:
        await posting.cash(f"bank_credit:{facts['credit_id']}:refund_flagged:{event.id}",
                           rules.bank_credit_refund_flagged(facts["amount"]),
                           f"Hoàn lại chuyển khoản: {facts.get('reason') or ''}", "bank_credit",
                           event_id=event.id)  # fmt: skip
