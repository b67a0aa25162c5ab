"""Payments as the marketplace records them: settling card payments from what Stripe says, refunds requested once
and executed once, the inbox of Stripe's events, and disputes flagged for operators.

Payment state only moves forward (pending -> succeeded, failed or canceled), each move one conditional update; the
order side follows in the same transaction (seller orders confirmed, or reservations released), so a repeated or
late event changes nothing twice.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec

from market.audit import service as audit
from market.core.db import fetch, transaction
from market.core.errors import Conflict, NotFound, field_error
from market.core.idempotency.service import IdempotencyKeyReused
from market.core.ids import new_id
from market.core.outbox.service import record
from market.orders import service as orders
from market.payments.gateway import PaymentGateway, RefundRequest


class PaymentRow(msgspec.Struct):
    """A row of `payment`: the local record of a card payment, written with its order before the processor hears
    of it."""

    id: str
    order_id: str
    method: str
    provider: str
    status: str
    currency: str
    amount: int
    created_at: datetime
    updated_at: datetime
    provider_ref: str | None = None
    client_secret: str | None = None
    amount_received: int = 0
    amount_refunded: int = 0
    disputed_at: datetime | None = None
    dispute_reason: str | None = None


def draft_payment(order_id: str, method: str, amount: int, now: datetime, reference: str | None = None) -> PaymentRow:
    """The pending payment of a new card order (Stripe's PaymentIntent is made after the commit), or of a bank
    transfer order (its `provider_ref` is the payment reference the transfer text carries)."""
    if method == "bank_transfer":
        return PaymentRow(new_id("pay"), order_id, method, "vietqr", "pending", "VND", amount, now, now, reference)
    return PaymentRow(new_id("pay"), order_id, method, "stripe", "pending", "VND", amount, now, now)


def insert_cte(gate: str, payments: str) -> str:
    """The WITH-clause that writes drafted payments (`payments`: a jsonb parameter of `PaymentRow`s) in the caller's
    statement, when `gate` holds."""
    return f"""pay AS (
    INSERT INTO payment SELECT * FROM jsonb_populate_recordset(NULL::payment, {payments}::jsonb) WHERE {gate}
)"""  # noqa: S608 (placeholders)


HANDLED_EVENTS = (
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.canceled",
    "charge.refunded",
    "charge.dispute.created",
)

RECEIVE_SQL = """
WITH stored AS (
    INSERT INTO stripe_event (id, type, payload, received_at) VALUES ($1, $2, $3::jsonb, now())
    ON CONFLICT (id) DO NOTHING RETURNING id
)
INSERT INTO outbox_event (event_id, type, payload, occurred_at, publish_count)
SELECT $4, 'stripe_event.received', jsonb_build_object('stripe_event_id', id), now(), 0 FROM stored
RETURNING 1
"""


async def receive(event: dict[str, Any]) -> bool:
    """Store one of Stripe's events in the inbox and queue it for the worker, in one statement; False when it was
    already there (a repeat) or is of a type we do not handle (acknowledged and ignored)."""
    if event.get("type") not in HANDLED_EVENTS or not isinstance(event.get("id"), str):
        return False
    payload = msgspec.json.encode(event).decode()
    rows = await fetch(RECEIVE_SQL, event["id"], event["type"], payload, new_id("evt"))
    return bool(rows)


async def payment_of_intent(intent_id: str) -> dict[str, Any] | None:
    rows = await fetch("SELECT * FROM payment WHERE provider_ref = $1", intent_id)
    return dict(rows[0]) if rows else None


async def succeeded(intent_id: str, amount_received: int) -> bool:
    """The card payment succeeded: confirm the order's seller orders; an order that expired or was cancelled
    meanwhile gets its money back. False when this was already applied."""
    async with transaction():
        moved = await fetch(
            "UPDATE payment SET status = 'succeeded', amount_received = $2, updated_at = now() "
            "WHERE provider_ref = $1 AND status = 'pending' RETURNING id, order_id",
            intent_id,
            amount_received,
        )
        if not moved:
            return False
        payment_id, order_id = moved[0]["id"], moved[0]["order_id"]
        if not await orders.confirm_payment(order_id, amount_received, "stripe"):
            await request_refund(order_id, None, amount_received, "paid after the order was closed",
                                 f"late_payment:{order_id}", "system")  # fmt: skip
        else:  # seller orders the buyer cancelled while the payment was pending were paid for too: give that back
            cancelled = await fetch(
                "SELECT coalesce(sum(total), 0)::bigint AS total FROM seller_order "
                "WHERE order_id = $1 AND status = 'cancelled'",
                order_id,
            )
            if cancelled[0]["total"]:
                await request_refund(order_id, None, cancelled[0]["total"], "cancelled before the payment arrived",
                                     f"cancelled_unpaid:{order_id}", "system")  # fmt: skip
        await record("payment.succeeded", {"payment_id": payment_id, "order_id": order_id})
    return True


async def closed(intent_id: str, status: str) -> bool:
    """The card payment failed or was canceled: release the order's reservations. False when already applied."""
    async with transaction():
        moved = await fetch(
            "UPDATE payment SET status = $2, updated_at = now() WHERE provider_ref = $1 AND status = 'pending' "
            "RETURNING id, order_id",
            intent_id,
            status,
        )
        if not moved:
            return False
        await orders.release_unpaid(moved[0]["order_id"], status, f"payment_{status}")
        await record(f"payment.{status}", {"payment_id": moved[0]["id"], "order_id": moved[0]["order_id"]})
    return True


async def request_refund(
    order_id: str, seller_order_id: str | None, amount: int, reason: str, request_key: str, requested_by: str
) -> dict[str, Any] | None:
    """Ask for a refund of a card payment (inside the caller's transaction); the worker executes it at Stripe.

    Returns the refund (the existing one when `request_key` was used before), or None when the order has no
    succeeded card payment (cash on delivery: nothing was taken before delivery).

    Raises:
        ValidationFailed: `refund_exceeds_payment` when the amount is more than what is left to refund.
    """
    payments = await fetch("SELECT * FROM payment WHERE order_id = $1 AND status = 'succeeded' FOR UPDATE", order_id)
    if not payments:
        return None
    existing = await fetch("SELECT * FROM refund WHERE request_key = $1", request_key)
    if existing:
        return dict(existing[0])
    payment = payments[0]
    committed = await fetch(
        "SELECT coalesce(sum(amount), 0)::bigint AS total FROM refund WHERE payment_id = $1 AND status <> 'failed'",
        payment["id"],
    )
    left = payment["amount_received"] - committed[0]["total"]
    if amount > left:
        raise field_error("amount", "refund_exceeds_payment", f"At most {left:,} đ is left to refund.")
    refund_id = new_id("ref")
    bank = payment["method"] == "bank_transfer"  # paid back by the operators' transfer, not by a processor
    rows = await fetch(
        "INSERT INTO refund (id, payment_id, order_id, seller_order_id, request_key, amount, reason, status, "
        "requested_by, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $9, $8, now(), now()) "
        "RETURNING *",
        refund_id, payment["id"], order_id, seller_order_id, request_key, amount, reason, requested_by,
        "manual" if bank else "requested",
    )  # fmt: skip
    if bank:
        await record("refund.bank_transfer_due", {"refund_id": refund_id, "order_id": order_id, "amount": amount})
    else:
        await record("refund.requested", {"refund_id": refund_id, "order_id": order_id})
    return dict(rows[0])


async def request_bank_transfer_refund(
    order_id: str, seller_order_id: str, amount: int, reason: str, request_key: str, requested_by: str
) -> dict[str, Any]:
    """Cash collected on delivery goes back by the operators' bank transfer: a refund with status `manual` and no
    card payment (`payment_id` empty), once per `request_key` (inside the caller's transaction)."""
    rows = await fetch(
        "INSERT INTO refund (id, payment_id, order_id, seller_order_id, request_key, amount, reason, status, "
        "requested_by, created_at, updated_at) VALUES ($1, '', $2, $3, $4, $5, $6, 'manual', $7, now(), now()) "
        "ON CONFLICT (request_key) DO NOTHING RETURNING *",
        new_id("ref"), order_id, seller_order_id, request_key, amount, reason, requested_by,
    )  # fmt: skip
    if not rows:
        return dict((await fetch("SELECT * FROM refund WHERE request_key = $1", request_key))[0])
    await record("refund.bank_transfer_due", {"refund_id": rows[0]["id"], "order_id": order_id, "amount": amount})
    return dict(rows[0])


async def operator_refund(
    order_id: str, seller_order_id: str | None, amount: int | None, reason: str, key: str, operator_id: str
) -> dict[str, Any]:
    """An operator refunds all or part of an order's card payment, or one seller order's total."""
    async with transaction():
        if seller_order_id is not None:
            found = await fetch(
                "SELECT total FROM seller_order WHERE id = $1 AND order_id = $2", seller_order_id, order_id
            )
            if not found:
                raise NotFound("No such seller order in this order.")
            amount = amount if amount is not None else found[0]["total"]
        if amount is None:
            paid = await fetch("SELECT amount_received FROM payment WHERE order_id = $1", order_id)
            amount = paid[0]["amount_received"] if paid else 0
        request_key, actor = f"operator:{order_id}:{key}", audit.operator_actor(operator_id)
        replay = await fetch("SELECT 1 FROM refund WHERE request_key = $1", request_key)
        refund = await request_refund(order_id, seller_order_id, amount, reason, request_key, actor)
        if refund is not None and not replay:
            details = {"refund_id": refund["id"], "amount": refund["amount"], "seller_order_id": seller_order_id}
            await audit.record(actor, "refund.requested", "order", order_id, reason=reason, details=details)
    if refund is None:
        raise Conflict("This order has no card payment that succeeded.", code="nothing_to_refund")
    if refund["amount"] != amount or refund["seller_order_id"] != seller_order_id:
        raise IdempotencyKeyReused("This Idempotency-Key was used for another refund; use a new key.")
    return refund


async def execute_refund(refund_id: str, gateway: PaymentGateway) -> str | None:
    """Send one requested refund to the processor, once: the refund's status moves from requested exactly once,
    with the payment's refunded amount in the same transaction."""
    rows = await fetch(
        "SELECT r.*, p.provider_ref FROM refund r JOIN payment p ON p.id = r.payment_id WHERE r.id = $1", refund_id
    )
    if not rows or rows[0]["status"] != "requested":
        return None
    refund = rows[0]
    outcome = await gateway.refund(
        RefundRequest(refund_id, refund["order_id"], refund["provider_ref"], refund["amount"], refund["reason"])
    )
    async with transaction():
        moved = await fetch(
            "UPDATE refund SET status = $2, provider_ref = $3, updated_at = now() "
            "WHERE id = $1 AND status = 'requested' RETURNING amount, payment_id",
            refund_id, outcome.status, outcome.provider_ref,
        )  # fmt: skip
        if moved and outcome.status == "succeeded":
            await fetch(
                "UPDATE payment SET amount_refunded = least(amount_refunded + $2, amount_received), updated_at = now() "
                "WHERE id = $1",
                moved[0]["payment_id"], moved[0]["amount"],
            )  # fmt: skip
    return outcome.status


async def charge_refunded(intent_id: str, amount_refunded: int) -> None:
    """Stripe's word on what a charge has refunded in all: the recorded amount only grows."""
    await fetch(
        "UPDATE payment SET amount_refunded = greatest(amount_refunded, $2), updated_at = now() "
        "WHERE provider_ref = $1",
        intent_id,
        amount_refunded,
    )


async def disputed(intent_id: str, reason: str | None) -> bool:
    """A cardholder disputed the charge: flag the payment (and so its order) for operators, once."""
    async with transaction():
        rows = await fetch(
            "UPDATE payment SET disputed_at = now(), dispute_reason = $2, updated_at = now() "
            "WHERE provider_ref = $1 AND disputed_at IS NULL RETURNING id, order_id",
            intent_id,
            reason,
        )
        if rows:
            await record("payment.disputed", {"payment_id": rows[0]["id"], "order_id": rows[0]["order_id"]})
    return bool(rows)


async def list_payments(disputed: bool | None, before: str | None, limit: int) -> list[dict[str, Any]]:
    """Card payments, newest first: all, only disputed ones, or only undisputed ones."""
    rows = await fetch(
        "SELECT * FROM payment WHERE ($1::bool IS NULL OR (disputed_at IS NOT NULL) = $1) "
        "AND ($2::varchar IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
        disputed, before, limit,
    )  # fmt: skip
    return [dict(row) for row in rows]


async def payments_of(order_ids: list[str]) -> list[dict[str, Any]]:
    """The card payments of these orders (at most one each), for the orders' standing."""
    rows = await fetch("SELECT * FROM payment WHERE order_id = ANY($1::varchar[])", order_ids)
    return [dict(row) for row in rows]


async def refunds_due(order_ids: list[str]) -> dict[str, int]:
    """What each of these orders is still owed back: refunds requested but not executed yet (a card refund on its
    way to Stripe; cash on delivery to pay back by bank transfer, `manual`)."""
    rows = await fetch(
        "SELECT order_id, sum(amount)::bigint AS due FROM refund WHERE order_id = ANY($1::varchar[]) "
        "AND status IN ('requested', 'manual') GROUP BY order_id",
        order_ids,
    )
    return {row["order_id"]: row["due"] for row in rows}


async def refunds_of(order_id: str) -> list[dict[str, Any]]:
    return [dict(row) for row in await fetch("SELECT * FROM refund WHERE order_id = $1 ORDER BY id", order_id)]
