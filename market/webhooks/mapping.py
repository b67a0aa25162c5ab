"""Rows to webhook response schemas."""

from __future__ import annotations

import json

from market.core.schemas import rfc3339
from market.webhooks.schemas import AttemptOut, DeliveryOut, EndpointOut
from market.webhooks.tables import WebhookAttempt, WebhookDelivery, WebhookEndpoint


def _events(stored: str | list[str]) -> list[str]:
    """JSONB as Piccolo hands it back (a JSON string), or as it was given (a list)."""
    return list(json.loads(stored) if isinstance(stored, str) else stored)


def endpoint_out(endpoint: WebhookEndpoint, secret: str | None = None) -> EndpointOut:
    return EndpointOut(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        enabled_events=_events(endpoint.enabled_events),
        status=endpoint.status,
        disabled_reason=endpoint.disabled_reason,
        failing_since=rfc3339(endpoint.failing_since),
        previous_secret_expires_at=rfc3339(endpoint.previous_secret_expires_at),
        created_at=rfc3339(endpoint.created_at),
        updated_at=rfc3339(endpoint.updated_at),
        secret=secret,
    )


def attempt_out(attempt: WebhookAttempt) -> AttemptOut:
    return AttemptOut(
        id=attempt.id,
        number=attempt.number,
        started_at=rfc3339(attempt.started_at),
        duration_ms=attempt.duration_ms,
        response_status=attempt.status_code,
        error=attempt.error,
        response_excerpt=attempt.response_excerpt,
        redelivery=bool(attempt.redelivery),
    )


def delivery_out(delivery: WebhookDelivery, attempts: list[WebhookAttempt] | None = None) -> DeliveryOut:
    return DeliveryOut(
        id=delivery.id,
        endpoint_id=str(delivery.endpoint),
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=rfc3339(delivery.next_attempt_at),
        last_response_status=delivery.last_status_code,
        last_error=delivery.last_error,
        last_attempt_at=rfc3339(delivery.last_attempt_at),
        succeeded_at=rfc3339(delivery.succeeded_at),
        created_at=rfc3339(delivery.created_at),
        body=delivery.body if attempts is not None else None,
        attempt_log=[attempt_out(attempt) for attempt in attempts] if attempts is not None else None,
    )
