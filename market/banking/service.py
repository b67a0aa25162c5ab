"""Bank credits: stored once, then matched to the order whose payment reference the transfer text carries.

Each credit is one transaction: the insert (deduplicated on the provider's id: a repeat inserts nothing and changes
nothing), then, for money in, the match, with the order's row locked (`SELECT ... FOR UPDATE`) before its payment's,
so that a credit and the expiry job (`orders.release_unpaid`, which updates the order's row first) take turns:

- the order awaits payment: the credit adds to what its bank transfer payment received. Short of what the seller
  orders still pending cost: `short`, the order stays pending and its reads show what is missing; enough: the
  order is paid through `orders.confirm_payment` (`order.paid`), `matched`, or `over` with the excess flagged;
- the order expired (its reservation ran out): `orders.reinstate_expired` reserves the stock again when it is still
  there (`late_reserved`), else the money is flagged for refund (`refund_flagged`); likewise for an order whose
  parts were all cancelled, or that is already paid;
- no reference, or one of no order: `unmatched`, in the operators' queue (assign it to an order, or flag it for
  refund).

Every stored credit in records `bank_credit.received` once; money to give back, `bank_credit.refund_flagged`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import msgspec

from market.audit import service as audit
from market.banking.feeds import Credit
from market.banking.reference import candidates
from market.core.db import fetch, transaction
from market.core.errors import Conflict, NotFound
from market.core.ids import new_id
from market.core.outbox.service import record
from market.orders import service as orders

INSERT_SQL = """
INSERT INTO bank_credit (id, provider, provider_key, gateway, account_number, transferred_at, direction, amount,
                         content, bank_reference, reference, order_id, outcome, queue, refund_amount, payload,
                         received_at)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, NULL, NULL, 'pending', NULL, 0, $11::jsonb, now())
ON CONFLICT (provider_key) DO NOTHING RETURNING id
"""
SETTLE_SQL = """
UPDATE bank_credit SET reference = coalesce($2, reference), order_id = $3, outcome = $4, queue = $5,
       refund_amount = refund_amount + $6, refund_reason = coalesce($7, refund_reason)
WHERE id = $1
"""


@dataclass(frozen=True)
class Applied:
    """What a credit did to an order: its outcome and what is flagged to give back."""

    outcome: str
    order_id: str | None
    refund: int = 0
    reason: str | None = None


async def receive(credit: Credit, prefix: str) -> Applied | None:
    """Store a credit from the feed and match it, in one transaction; None when it was already stored."""
    async with transaction():
        stored = await fetch(
            INSERT_SQL, new_id("bcr"), credit.provider, credit.key, credit.gateway, credit.account_number,
            credit.transferred_at, credit.direction, credit.amount, credit.content, credit.bank_reference,
            msgspec.json.encode(credit.payload).decode(),
        )  # fmt: skip
        if not stored:
            return None
        credit_id = stored[0]["id"]
        if credit.direction != "in":
            await fetch(SETTLE_SQL, credit_id, None, None, "outgoing", None, 0, None)
            return Applied("outgoing", None)
        references = candidates(f"{credit.code or ''} {credit.content}", prefix)
        found = await fetch(
            "SELECT order_id, provider_ref FROM payment WHERE method = 'bank_transfer' "
            "AND provider_ref = ANY($1::varchar[]) ORDER BY array_position($1::varchar[], provider_ref) LIMIT 1",
            references,
        )
        if not found:
            applied = Applied("unmatched", None)
            await fetch(SETTLE_SQL, credit_id, references[0] if references else None, None, "unmatched", "open", 0,
                        None)  # fmt: skip
        else:
            applied = await apply(credit_id, credit.amount, found[0]["order_id"], f"bank:{credit.provider}")
            await fetch(SETTLE_SQL, credit_id, found[0]["provider_ref"], applied.order_id, applied.outcome, None,
                        applied.refund, applied.reason)  # fmt: skip
        await record("bank_credit.received", {"credit_id": credit_id, "provider": credit.provider,
                                              "amount": credit.amount, "order_id": applied.order_id,
                                              "outcome": applied.outcome})  # fmt: skip
        await _flag(credit_id, applied)
    return applied


async def _flag(credit_id: str, applied: Applied) -> None:
    if applied.refund:
        await record("bank_credit.refund_flagged", {"credit_id": credit_id, "order_id": applied.order_id,
                                                    "amount": applied.refund, "reason": applied.reason})  # fmt: skip


async def apply(credit_id: str, amount: int, order_id: str, actor: str) -> Applied:
    """Apply `amount` of a credit to an order (inside the caller's transaction); see the module docstring."""
    order = await fetch("SELECT payment_status FROM orders WHERE id = $1 FOR UPDATE", order_id)
    payment = await fetch(
        "SELECT id, amount_received FROM payment WHERE order_id = $1 AND method = 'bank_transfer' FOR UPDATE",
        order_id,
    )
    if not order or not payment:
        return Applied("refund_flagged", order_id if order else None, amount, "not an order paid by bank transfer")
    status, payment_id = order[0]["payment_status"], payment[0]["id"]
    if status == "expired":
        return await _late(payment_id, amount, order_id, actor)
    if status != "pending":
        why = "the order was already paid" if status == "paid" else f"the order is {status}"
        return Applied("refund_flagged", order_id, amount, why)
    pending = await fetch(
        "SELECT coalesce(sum(total), 0)::bigint AS due FROM seller_order "
        "WHERE order_id = $1 AND status = 'pending_payment'",
        order_id,
    )
    due = pending[0]["due"]
    if not due:
        return Applied("refund_flagged", order_id, amount, "the order was cancelled")
    received = payment[0]["amount_received"] + amount
    if received < due:
        await fetch("UPDATE payment SET amount_received = $2, updated_at = now() WHERE id = $1", payment_id, received)
        return Applied("short", order_id)
    await fetch("UPDATE payment SET amount_received = $2, status = 'succeeded', updated_at = now() WHERE id = $1",
                payment_id, received)  # fmt: skip
    await orders.confirm_payment(order_id, due, actor)
    await record("payment.succeeded", {"payment_id": payment_id, "order_id": order_id})
    excess = received - due
    return (
        Applied("over", order_id, excess, "paid more than the order's total")
        if excess
        else Applied("matched", order_id)
    )


async def _late(payment_id: str, amount: int, order_id: str, actor: str) -> Applied:
    """A credit for an order whose reservation ran out: paid again when its stock is still there."""
    expired = await fetch(
        "SELECT coalesce(sum(total), 0)::bigint AS due FROM seller_order "
        "WHERE order_id = $1 AND status = 'cancelled' AND status_reason = 'payment_expired'",
        order_id,
    )
    due = expired[0]["due"]
    if not due or amount < due:
        why = "paid after the reservation expired" if due else "the order was cancelled"
        return Applied("refund_flagged", order_id, amount, f"{why}, short of its total" if due else why)
    if not await orders.reinstate_expired(order_id, due, actor):
        return Applied("refund_flagged", order_id, amount, "paid after the reservation expired; stock gone")
    await fetch("UPDATE payment SET amount_received = amount_received + $2, status = 'succeeded', updated_at = now() "
                "WHERE id = $1", payment_id, amount)  # fmt: skip
    await record("payment.succeeded", {"payment_id": payment_id, "order_id": order_id})
    excess = amount - due
    return Applied("late_reserved", order_id, excess, "paid more than the order's total" if excess else None)


async def refund_short_credits(order_id: str) -> int:
    """An order expired with short transfers received: each is flagged for refund, once. Returns how many."""
    async with transaction():
        rows = await fetch(
            "UPDATE bank_credit SET refund_amount = amount, refund_reason = $2 "
            "WHERE order_id = $1 AND outcome = 'short' AND refund_amount = 0 RETURNING id, amount",
            order_id, "the reservation expired before the rest was paid",
        )  # fmt: skip
        for row in rows:
            await _flag(row["id"], Applied("short", order_id, row["amount"],
                                           "the reservation expired before the rest was paid"))  # fmt: skip
    return len(rows)


async def _open_credit(credit_id: str) -> dict[str, Any]:
    rows = await fetch("SELECT * FROM bank_credit WHERE id = $1 FOR UPDATE", credit_id)
    if not rows:
        raise NotFound("No such bank credit.")
    if rows[0]["queue"] != "open":
        raise Conflict("This credit is not waiting in the queue (matched, or resolved already).",
                       code="bank_credit_not_open", outcome=rows[0]["outcome"], queue=rows[0]["queue"])  # fmt: skip
    return dict(rows[0])


async def assign(credit_id: str, order_id: str, operator_id: str, reason: str) -> dict[str, Any]:
    """An operator applies an unmatched credit to an order, as if its text had carried the order's reference."""
    actor = audit.operator_actor(operator_id)
    async with transaction():
        credit = await _open_credit(credit_id)
        if not await fetch("SELECT 1 FROM orders WHERE id = $1", order_id):
            raise NotFound("No such order.")
        applied = await apply(credit_id, credit["amount"], order_id, actor)
        await fetch("UPDATE bank_credit SET resolved_by = $2, resolved_at = now() WHERE id = $1", credit_id, actor)
        await fetch(SETTLE_SQL, credit_id, None, order_id, applied.outcome, "assigned", applied.refund,
                    applied.reason)  # fmt: skip
        await record("bank_credit.assigned", {"credit_id": credit_id, "order_id": order_id,
                                              "amount": credit["amount"], "actor": actor})  # fmt: skip
        await _flag(credit_id, applied)
        await audit.record(actor, "bank_credit.assigned", "bank_credit", credit_id, reason=reason,
                           details={"order_id": order_id, "outcome": applied.outcome})  # fmt: skip
    return await get_credit(credit_id)


async def flag_refund(credit_id: str, operator_id: str, reason: str) -> dict[str, Any]:
    """An operator decides an unmatched credit goes back to whoever sent it."""
    actor = audit.operator_actor(operator_id)
    async with transaction():
        credit = await _open_credit(credit_id)
        await fetch("UPDATE bank_credit SET resolved_by = $2, resolved_at = now() WHERE id = $1", credit_id, actor)
        await fetch(SETTLE_SQL, credit_id, None, None, credit["outcome"], "refund_flagged", credit["amount"], reason)
        await _flag(credit_id, Applied("refund_flagged", None, credit["amount"], reason))
        await audit.record(actor, "bank_credit.refund_flagged", "bank_credit", credit_id, reason=reason,
                           details={"amount": credit["amount"]})  # fmt: skip
    return await get_credit(credit_id)


async def get_credit(credit_id: str) -> dict[str, Any]:
    rows = await fetch("SELECT * FROM bank_credit WHERE id = $1", credit_id)
    if not rows:
        raise NotFound("No such bank credit.")
    return dict(rows[0])


async def list_credits(queue: str | None, outcome: str | None, before: str | None, limit: int) -> list[dict[str, Any]]:
    """Credits newest first, by queue (`open`: the operators' work) and outcome."""
    rows = await fetch(
        "SELECT * FROM bank_credit WHERE ($1::varchar IS NULL OR queue = $1) AND ($2::varchar IS NULL OR outcome = $2) "
        "AND ($3::varchar IS NULL OR id < $3) ORDER BY id DESC LIMIT $4",
        queue, outcome, before, limit,
    )  # fmt: skip
    return [dict(row) for row in rows]
