"""Payment jobs of the worker: process Stripe's events from the inbox, execute refunds, ask for the refunds that
order events make due, cancel the PaymentIntents of expired orders, and reconcile with Stripe's event list."""

from __future__ import annotations

import json
import time
from typing import Any

import structlog

from market.core.db import fetch
from market.core.events import Event, registry
from market.core.resources import current
from market.payments import service
from market.payments.registry import stripe_gateway
from market.payments.stripe_gateway import StripeGateway

log = structlog.get_logger(__name__)
RECONCILE_WINDOW_S = 3 * 86_400


def _gateway() -> StripeGateway:
    return stripe_gateway(current().settings)


async def settle(intent: Any, gateway: StripeGateway) -> None:
    """Apply a PaymentIntent as Stripe has it now: succeeded, canceled, or failed (then canceled at Stripe first, so
    that it cannot succeed after we released its stock)."""
    if intent.status == "succeeded":
        await service.succeeded(intent.id, intent.amount_received)
    elif intent.status == "canceled":
        await service.closed(intent.id, "canceled")
    elif intent.status == "requires_payment_method" and intent.last_payment_error:
        after = await gateway.cancel(intent.id)
        if after.status == "succeeded":
            await service.succeeded(after.id, after.amount_received)
        else:
            await service.closed(intent.id, "failed")


@registry.on("stripe_event.received", name="payments.process_stripe_event", transactional=False)
async def process_stripe_event(event: Event) -> None:
    """One of Stripe's events from the inbox, once it is not already processed. PaymentIntent events are applied
    from the PaymentIntent read back from Stripe, so their order of arrival does not matter."""
    event_id = event.payload["stripe_event_id"]
    rows = await fetch("SELECT type, payload, processed_at FROM stripe_event WHERE id = $1", event_id)
    if not rows or rows[0]["processed_at"] is not None:
        return
    kind, payload = rows[0]["type"], _json(rows[0]["payload"])
    obj = payload["data"]["object"]
    if kind.startswith("payment_intent."):
        gateway = _gateway()
        await settle(await gateway.intent(obj["id"]), gateway)
    elif kind == "charge.refunded" and obj.get("payment_intent"):
        await service.charge_refunded(obj["payment_intent"], int(obj.get("amount_refunded") or 0))
    elif kind == "charge.dispute.created" and obj.get("payment_intent"):
        await service.disputed(obj["payment_intent"], obj.get("reason"))
    await fetch("UPDATE stripe_event SET processed_at = now() WHERE id = $1", event_id)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


@registry.on("refund.requested", name="payments.execute_refund", transactional=False)
async def execute_refund(event: Event) -> None:
    status = await service.execute_refund(event.payload["refund_id"], _gateway())
    log.info("refund_executed", refund_id=event.payload["refund_id"], status=status)


async def _refund(facts: dict[str, Any], amount: int, cause: str, reason: str, requested_by: str) -> None:
    """Ask once for a refund of `amount` on a seller order, for this cause (nothing when nothing is due)."""
    if amount > 0:
        await service.request_refund(facts["order_id"], facts["seller_order_id"], amount, reason,
                                     f"{cause}:{facts['seller_order_id']}", requested_by)  # fmt: skip


@registry.on("seller_order.cancelled", name="payments.refund_cancelled")
async def refund_cancelled(event: Event) -> None:
    """A paid seller order was cancelled: its total goes back to the card."""
    facts = event.payload
    await _refund(facts, facts.get("refund_due") or 0, "cancel", facts.get("reason") or "cancelled",
                  facts.get("actor") or "system")  # fmt: skip


@registry.on("seller_order.packed", name="payments.refund_catch_weight")
async def refund_catch_weight(event: Event) -> None:
    """Packed lighter than ordered: a card-paid seller order gets the difference back (heavier costs the buyer
    nothing more on a card: the charge cannot grow)."""
    facts = event.payload
    await _refund(facts, facts["subtotal"] - facts["final_subtotal"], "catch_weight",
                  "packed weight below the ordered weight", "system")  # fmt: skip


@registry.on("seller_order.refunded", name="payments.refund_seller_order")
async def refund_seller_order(event: Event) -> None:
    facts = event.payload
    await _refund(facts, facts["amount"], "seller_order_refund", facts["reason"], facts["actor"])


@registry.on("seller_order.returned", name="payments.refund_returned")
async def refund_returned(event: Event) -> None:
    """A card-paid parcel came back undelivered: the buyer gets the seller order's total back (cash on delivery:
    nothing was collected, nothing is owed)."""
    facts = event.payload
    await _refund(facts, facts.get("refund_due") or 0, "return", "returned undelivered", "carrier")


@registry.on("order.expired", name="payments.cancel_expired_intent", transactional=False)
async def cancel_expired_intent(event: Event) -> None:
    """An unpaid card order expired: cancel its PaymentIntent so that it can no longer be paid (when it was paid
    meanwhile, the payment is settled, and refunded because the order is closed)."""
    rows = await fetch(
        "SELECT provider_ref FROM payment WHERE order_id = $1 AND provider = 'stripe'", event.payload["order_id"]
    )
    if rows and rows[0]["provider_ref"]:
        gateway = _gateway()
        intent = await gateway.cancel(rows[0]["provider_ref"])
        await settle(intent, gateway)


async def reconcile(ctx: Any = None) -> int:
    """SAQ cron job: store any of the last three days' Stripe events the webhook missed; returns how many."""
    settings = current().settings
    if not settings.card_payments:
        return 0
    events = await stripe_gateway(settings).events(int(time.time()) - RECONCILE_WINDOW_S, list(service.HANDLED_EVENTS))
    added = 0
    for stripe_event in events:
        added += int(await service.receive(stripe_event))
    if added:
        log.info("stripe_events_reconciled", added=added)
    return added
