"""Webhook jobs of the worker: the fan-out of seller-facing events into deliveries, and the loop that sends them."""

from __future__ import annotations

from market.core.events import Event, registry
from market.settings import Settings
from market.webhooks import service
from market.webhooks.dispatcher import Dispatcher, WebhookLoop
from market.webhooks.events import EVENT_TYPES
from market.webhooks.sender import Sender
from market.webhooks.vault import box_for


async def fan_out(event: Event) -> None:
    """One delivery per subscribed endpoint of each seller the event concerns, in the handler's transaction."""
    await service.fan_out(event)


for _event_type in EVENT_TYPES:
    registry.on(_event_type, name="webhooks.fan_out")(fan_out)


def dispatcher_for(settings: Settings) -> Dispatcher:
    """A dispatcher with the configured timeout, loopback rule, concurrency and secrets' keys."""
    sender = Sender.create(settings.webhook_timeout_s, settings.webhook_allow_loopback, box=box_for(settings))
    return Dispatcher(sender, concurrency=settings.webhook_concurrency, per_endpoint=settings.webhook_per_endpoint)


def sender_loop(settings: Settings) -> WebhookLoop:
    """The worker's loop that sends due webhook deliveries."""
    return WebhookLoop(dispatcher_for(settings))
