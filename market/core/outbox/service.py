"""Writing events to the outbox, inside the caller's transaction."""

from __future__ import annotations

from market.core.db import in_transaction
from market.core.events import EventPayload
from market.core.ids import new_id
from market.core.outbox.tables import OutboxEvent


class OutsideTransaction(RuntimeError):
    """`record` was called with no transaction open: the event could outlive a rolled-back change."""


async def record(event_type: str, payload: EventPayload) -> str:
    """Record an event in the transaction that makes the change it describes.

    Args:
        event_type: `noun.verb_past`, e.g. `product.updated`.
        payload: JSON-serialisable facts the handlers need (ids, versions), not whole rows.

    Returns:
        The new event's id (`evt_...`).

    Raises:
        OutsideTransaction: when no transaction is open, so that an event can never be committed without the
            change it describes (or the change without its event).
    """
    if not in_transaction():
        raise OutsideTransaction(f"outbox event {event_type!r} must be recorded inside a transaction")
    event_id = new_id("evt")
    await OutboxEvent.insert(OutboxEvent(event_id=event_id, type=event_type, payload=payload)).run()
    return event_id
