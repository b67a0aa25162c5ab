"""What every channel is: `send(message, begin) -> provider message id`, failing with one of four outcomes that the
delivery loop acts on: `Unavailable` (not sent: try again later, with backoff), `Refused` (never on this channel:
fall back to the next), `Deferred` (not before a given time: a promotional SMS in the quiet hours) or `Unknown`
(handed over, but the answer was lost: perhaps sent; not resent automatically).

A channel is `idempotent` when its provider recognises a repeat by a key we send (ZNS `tracking_id`, the SMS
`request_id`: both the delivery's id), so sending again after an unknown outcome costs nothing; email is not (SMTP
has no such key). `begin` is called once the channel is ready to transmit (a connection of its pool is free): it
records that the attempt began and answers False when this sender no longer holds the delivery (its lease ended
while it waited, another sender took it), and then nothing may be sent."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
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


class Superseded(Exception):
    """`begin` answered False: another sender holds the delivery now; this one sent nothing."""


class Unknown(Exception):
    """The message was handed over (an email's DATA) and no answer came: it may have been sent. `message_id` is
    what the recipient's copy would carry."""

    def __init__(self, reason: str, message_id: str) -> None:
        super().__init__(reason)
        self.message_id = message_id


class Deferred(Exception):
    """The message may not go before `until` (Decree 91/2020's hours and daily cap for promotional messages)."""

    def __init__(self, until: datetime, reason: str) -> None:
        super().__init__(reason)
        self.until = until


Begin = Callable[[], Awaitable[bool]]
"""Records that an attempt begins; False when the delivery is no longer this sender's (see the module)."""


class Sender(Protocol):
    """A channel's client."""

    name: Channel
    idempotent: bool

    async def send(self, message: Outgoing, begin: Begin) -> str:
        """Send one message (after `begin()`; raising `Superseded` when it answers False); returns the provider's
        message id."""
        ...

    async def close(self) -> None:
        """Release connections."""
        ...
