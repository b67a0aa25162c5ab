"""What crosses HTTP for webhooks: endpoints (the secret only when created or rotated), deliveries, attempts."""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from market.core.schemas import Input

EventType = Annotated[str, msgspec.Meta(min_length=1, max_length=100)]
Url = Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
Description = Annotated[str, msgspec.Meta(max_length=200)]
EnabledEvents = Annotated[list[EventType], msgspec.Meta(min_length=1, max_length=64)]


class EndpointIn(Input):
    """A new endpoint: an https URL of the seller's system and the event types it wants (`["*"]` for all)."""

    url: Url
    enabled_events: EnabledEvents
    description: Description = ""


class EndpointUpdate(Input):
    """Only the fields to change; `status: enabled` turns a disabled endpoint back on."""

    url: Url | msgspec.UnsetType = msgspec.UNSET
    enabled_events: EnabledEvents | msgspec.UnsetType = msgspec.UNSET
    description: Description | msgspec.UnsetType = msgspec.UNSET
    status: Literal["enabled", "disabled"] | msgspec.UnsetType = msgspec.UNSET


class EndpointOut(msgspec.Struct):
    id: str
    url: str
    description: str
    enabled_events: list[str]
    status: str
    disabled_reason: str | None
    failing_since: str | None
    previous_secret_expires_at: str | None
    created_at: str | None
    updated_at: str | None
    secret: str | None = None
    """Shown once: in the answer that created the endpoint or rotated its secret."""
    object: str = "webhook_endpoint"


class EventTypeOut(msgspec.Struct):
    id: str
    description: str
    object: str = "webhook_event_type"


class AttemptOut(msgspec.Struct):
    id: str
    number: int
    started_at: str | None
    duration_ms: int
    response_status: int | None
    error: str | None
    response_excerpt: str
    redelivery: bool
    object: str = "webhook_attempt"


class DeliveryOut(msgspec.Struct):
    id: str
    endpoint_id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    next_attempt_at: str | None
    last_response_status: int | None
    last_error: str | None
    last_attempt_at: str | None
    succeeded_at: str | None
    created_at: str | None
    body: str | None = None
    """The exact JSON sent (on a single delivery)."""
    attempt_log: list[AttemptOut] | None = None
    """Every attempt, oldest first (on a single delivery)."""
    object: str = "webhook_delivery"
