"""Events and the registry of their handlers.

Event names are `noun.verb_past` (`order.created`, `product.updated`), the same in the outbox, the worker and any
webhook sent to sellers. A handler is registered for one event type and must be idempotent: the worker may run it
again after a crash, and the receipts in `market.core.outbox.delivery` only guarantee once-only for what a
handler does inside the database transaction it is given.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

EventPayload = dict[str, Any]


@dataclass(frozen=True)
class Event:
    """One fact that happened, as recorded in the outbox."""

    id: str
    type: str
    payload: EventPayload

    @classmethod
    def from_job(cls, event_id: str, event_type: str, payload_json: str) -> Event:
        """Rebuild the event from the fields a queued job carries."""
        return cls(id=event_id, type=event_type, payload=json.loads(payload_json))


HandlerFn = Callable[[Event], Awaitable[None]]


@dataclass(frozen=True)
class Handler:
    """A function applied to every event of one type.

    `transactional` handlers run inside a database transaction together with their receipt, so their database
    effects happen exactly once. Handlers that call other systems (Meilisearch, a carrier) run outside any
    transaction and must be idempotent on their own.
    """

    name: str
    event_type: str
    fn: HandlerFn
    transactional: bool


class HandlerRegistry:
    """Handlers by event type."""

    def __init__(self) -> None:
        self._by_type: dict[str, list[Handler]] = defaultdict(list)

    def on(
        self, event_type: str, *, name: str | None = None, transactional: bool = True
    ) -> Callable[[HandlerFn], HandlerFn]:
        """Register the decorated coroutine function as a handler of `event_type`."""

        def register(fn: HandlerFn) -> HandlerFn:
            handler_name = name or f"{fn.__module__}.{fn.__qualname__}"
            if any(existing.name == handler_name for existing in self._by_type[event_type]):
                raise ValueError(f"handler {handler_name!r} is already registered for {event_type!r}")
            self._by_type[event_type].append(Handler(handler_name, event_type, fn, transactional))
            return fn

        return register

    def handlers_for(self, event_type: str) -> list[Handler]:
        """The handlers of one event type, in registration order (none for an unknown type)."""
        return list(self._by_type.get(event_type, ()))


registry = HandlerRegistry()
"""The process-wide registry that context `jobs.py` modules register into."""
