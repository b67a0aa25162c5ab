"""Webhook tables: a seller's endpoints, one delivery per (endpoint, event), and every attempt at it."""

from __future__ import annotations

from piccolo.columns import JSONB, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from market.sellers.tables import Seller


class WebhookEndpoint(Table, tablename="webhook_endpoint"):
    """A URL of a seller's own system that receives the events it subscribed to (`enabled_events`, `*` for all).

    `secret` signs every delivery; after a rotation `previous_secret` signs them too until
    `previous_secret_expires_at`, so the receiver can switch without losing one. Both are stored sealed
    (AES-GCM under WEBHOOK_SECRETS_KEY, `market.webhooks.vault`), never as the `whsec_` value, except rows written
    before that: those are sealed on their next delivery or by `market webhooks rekey`. `failing_since` is the first
    failed attempt since the last success; an endpoint failing for 3 days is `disabled`. A deleted endpoint keeps
    its row (its deliveries stay readable) with `deleted_at` set.
    """

    id = Varchar(length=32, primary_key=True)
    seller = ForeignKey(references=Seller, index=True)
    url = Varchar(length=2000)
    description = Varchar(length=200, default="")
    enabled_events = JSONB(default="[]")
    status = Varchar(length=16, default="enabled")
    secret = Varchar(length=200)
    previous_secret = Varchar(length=200, null=True, default=None)
    previous_secret_expires_at = Timestamptz(null=True, default=None)
    failing_since = Timestamptz(null=True, default=None)
    disabled_at = Timestamptz(null=True, default=None)
    disabled_reason = Varchar(length=40, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    deleted_at = Timestamptz(null=True, default=None)


class WebhookDelivery(Table, tablename="webhook_delivery"):
    """One event for one endpoint (unique on the pair): the exact JSON body sent, its state and its next try.

    `status` is `pending` (to send at `next_attempt_at`), `succeeded` (a 2xx answer) or `failed` (given up after
    `deadline`, or its endpoint was disabled or deleted). A sender holds it while `lease_until` is in the future.
    """

    id = Varchar(length=32, primary_key=True)
    endpoint = ForeignKey(references=WebhookEndpoint, index=True)
    seller = Varchar(length=32, index=True)
    event_id = Varchar(length=40)
    event_type = Varchar(length=100)
    body = Text()
    status = Varchar(length=16, default="pending")
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(null=True, default=None)
    lease_until = Timestamptz(null=True, default=None)
    deadline = Timestamptz()
    last_status_code = Integer(null=True, default=None)
    last_error = Varchar(length=200, null=True, default=None)
    last_attempt_at = Timestamptz(null=True, default=None)
    succeeded_at = Timestamptz(null=True, default=None)
    redeliveries = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())


class WebhookAttempt(Table, tablename="webhook_attempt"):
    """One try at a delivery: when, how long it took, the answer's status code (none when there was no answer:
    `error` says why) and the first bytes of the answer's body."""

    id = Varchar(length=32, primary_key=True)
    delivery = ForeignKey(references=WebhookDelivery, index=True)
    number = Integer()
    started_at = Timestamptz()
    duration_ms = Integer()
    status_code = Integer(null=True, default=None)
    error = Varchar(length=200, null=True, default=None)
    response_excerpt = Text(default="")
    redelivery = Boolean(default=False)
