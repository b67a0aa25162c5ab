"""Delivering one event to its handlers, at most once per handler."""

from __future__ import annotations

from datetime import UTC, datetime

from market.core.db import transaction
from market.core.events import Event, Handler, HandlerRegistry
from market.core.outbox.tables import EventReceipt, OutboxEvent

_CLAIM = "INSERT INTO event_receipt (key, handled_at) VALUES ({}, now()) ON CONFLICT (key) DO NOTHING RETURNING id"


async def deliver(registry: HandlerRegistry, event: Event) -> int:
    """Run every handler of the event that has not yet applied it; returns how many ran.

    A transactional handler's receipt is written in the same transaction as its effects, so a redelivered event
    finds the receipt and changes nothing. A non-transactional handler gets its receipt after it succeeds; it may
    run again if the worker dies in between, which is why such handlers must be idempotent themselves.
    """
    ran = 0
    for handler in registry.handlers_for(event.type):
        if await _apply(handler, event):
            ran += 1
    await (
        OutboxEvent.update({OutboxEvent.delivered_at: datetime.now(UTC)}).where(OutboxEvent.event_id == event.id).run()
    )
    return ran


async def _apply(handler: Handler, event: Event) -> bool:
    key = f"{event.id}:{handler.name}"
    if handler.transactional:
        async with transaction():
            if not await EventReceipt.raw(_CLAIM, key).run():
                return False
            await handler.fn(event)
        return True
    if await EventReceipt.exists().where(EventReceipt.key == key).run():
        return False
    await handler.fn(event)
    await EventReceipt.raw(_CLAIM, key).run()
    return True
