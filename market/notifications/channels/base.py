"""What every channel is: `send(message) -> provider message id`, failing with one of three outcomes that the
delivery loop acts on: `Unavailable` (try again later, with backoff), `Refused` (never on this channel: fall back
to the next) or `Deferred` (not before a given time: a promotional SMS in the quiet hours)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from market.notifications.kinds import Channel, Kind, Language
from market.notifications.render import Rendered


@dataclass(frozen=True)
class Outgoing:
    """One message ready for a channel: `address` is an email, or a phone in the 84 form (84912345678)."""

    delivery_id: str
    kind: Kind
    language: Language
    address: str
    data: dict[str, Any]
    rendered: Rendered
    unsubscribe_url: str | None


class Unavailable(Exception):
    """The provider is down, slow or answered a temporary error: the message waits and is tried again."""


class Refused(Exception):
    """The provider refused this message for good (no such user, template or data invalid, quota spent)."""


class Deferred(Exception):
    """The message may not go before `until` (Decree 91/2020's hours and daily cap for promotional messages)."""

    def __init__(self, until: datetime, reason: str) -> None:
        super().__init__(reason)
        self.until = until


class Sender(Protocol):
    """A channel's client."""

    name: Channel

    async def send(self, message: Outgoing) -> str:
        """Send one message; returns the provider's message id."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
