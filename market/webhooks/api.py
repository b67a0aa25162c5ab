"""Seller API for webhooks: the owner registers endpoints and rotates their secrets; members and API keys with
`orders:read` read the endpoints and the delivery log; the owner redelivers."""

from __future__ import annotations

from typing import Literal

from litestar import Controller, delete, get, patch, post
from litestar.di import Provide

from market.core.pagination import DEFAULT_LIMIT, Page, decode_time_key, page_of, time_key_cursor
from market.core.schemas import unset_to_dict
from market.web.deps import Limit, ResourcesDep
from market.web.openapi.routes import PROBLEMS
from market.web.responses import LOCATION
from market.web.seller_auth import SellerPrincipal, provide_seller
from market.webhooks import service
from market.webhooks.events import EVENT_TYPES
from market.webhooks.mapping import delivery_out, endpoint_out
from market.webhooks.schemas import DeliveryOut, EndpointIn, EndpointOut, EndpointUpdate, EventTypeOut

READ = {"scope": "orders:read"}
OWNER = {"owner": True}
DeliveryStatus = Literal["pending", "succeeded", "failed"]


def _actor(principal: SellerPrincipal) -> service.Actor:
    return service.Actor(principal.seller_id, f"seller:{principal.seller_id}:{principal.account_id}")


class SellerWebhookController(Controller):
    """The authenticated seller's webhook endpoints and delivery log."""

    path = "/seller/v1"
    tags = ["seller: webhooks"]
    dependencies = {"principal": Provide(provide_seller)}

    @get("/webhook-event-types", operation_id="seller_webhook_event_types", opt=READ)
    async def event_types(self, principal: SellerPrincipal) -> Page[EventTypeOut]:
        """Every event type an endpoint can subscribe to (or `*` for all), with what it means."""
        return Page([EventTypeOut(name, meaning) for name, meaning in EVENT_TYPES.items()], False, None)

    @get("/webhook-endpoints", operation_id="seller_webhook_endpoints_list", opt=READ)
    async def list_endpoints(self, principal: SellerPrincipal) -> Page[EndpointOut]:
        """Your webhook endpoints (never their secrets); at most 16, in one page."""
        return Page([endpoint_out(row) for row in await service.list_endpoints(principal.seller_id)], False, None)

    @post("/webhook-endpoints", operation_id="seller_webhook_endpoints_create",
          opt={**OWNER, LOCATION: "/seller/v1/webhook-endpoints/{content.id}",
               PROBLEMS: ("webhook_endpoints_limit",)})  # fmt: skip
    async def create_endpoint(
        self, data: EndpointIn, principal: SellerPrincipal, resources: ResourcesDep
    ) -> EndpointOut:
        """Register an endpoint (owner only): https, a public host; `secret` (signing) is shown this once."""
        allow = resources.settings.webhook_allow_loopback
        events = list(data.enabled_events)
        endpoint, secret = await service.create_endpoint(_actor(principal), data.url, events, data.description, allow)
        return endpoint_out(endpoint, secret)

    @get("/webhook-endpoints/{endpoint_id:str}", operation_id="seller_webhook_endpoints_get", opt=READ)
    async def get_endpoint(self, endpoint_id: str, principal: SellerPrincipal) -> EndpointOut:
        """One of your webhook endpoints."""
        return endpoint_out(await service.get_endpoint(principal.seller_id, endpoint_id))

    @patch("/webhook-endpoints/{endpoint_id:str}", operation_id="seller_webhook_endpoints_update", opt=OWNER)
    async def update_endpoint(
        self, endpoint_id: str, data: EndpointUpdate, principal: SellerPrincipal, resources: ResourcesDep
    ) -> EndpointOut:
        """Change the URL, events or description, or `status` (enabled: back on after it was disabled)."""
        changes = unset_to_dict(data)
        allow = resources.settings.webhook_allow_loopback
        return endpoint_out(await service.update_endpoint(_actor(principal), endpoint_id, changes, allow))

    @delete("/webhook-endpoints/{endpoint_id:str}", operation_id="seller_webhook_endpoints_delete", opt=OWNER,
            status_code=204)  # fmt: skip
    async def delete_endpoint(self, endpoint_id: str, principal: SellerPrincipal) -> None:
        """Delete an endpoint (owner only): nothing more is sent to it; its deliveries stay in the log."""
        await service.delete_endpoint(_actor(principal), endpoint_id)

    @post("/webhook-endpoints/{endpoint_id:str}/rotate-secret", operation_id="seller_webhook_endpoints_rotate_secret",
          opt=OWNER, status_code=200)  # fmt: skip
    async def rotate_secret(self, endpoint_id: str, principal: SellerPrincipal, resources: ResourcesDep) -> EndpointOut:
        """A new signing secret, shown this once; the old one also signs until `previous_secret_expires_at`."""
        overlap = resources.settings.webhook_secret_overlap_s
        endpoint, secret = await service.rotate_secret(_actor(principal), endpoint_id, overlap)
        return endpoint_out(endpoint, secret)

    @get("/webhook-deliveries", operation_id="seller_webhook_deliveries_list", opt=READ)
    async def list_deliveries(
        self,
        principal: SellerPrincipal,
        endpoint_id: str | None = None,
        status: DeliveryStatus | None = None,
        event_type: str | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[DeliveryOut]:
        """The delivery log, newest first: status, attempts, last status code and error; filter by endpoint,
        status or event type."""
        rows = await service.list_deliveries(principal.seller_id, endpoint_id, status, event_type,
                                             decode_time_key(cursor), limit)  # fmt: skip
        page = page_of(rows, limit, time_key_cursor)
        return page.map(delivery_out)

    @get("/webhook-deliveries/{delivery_id:str}", operation_id="seller_webhook_deliveries_get", opt=READ)
    async def get_delivery(self, delivery_id: str, principal: SellerPrincipal) -> DeliveryOut:
        """One delivery with the exact body sent and every attempt (when, how long, status code, answer excerpt)."""
        delivery, attempts = await service.get_delivery(principal.seller_id, delivery_id)
        return delivery_out(delivery, attempts)

    @post("/webhook-deliveries/{delivery_id:str}/redeliver", operation_id="seller_webhook_deliveries_redeliver",
          opt={**OWNER, PROBLEMS: ("webhook_endpoint_disabled",)}, status_code=202)  # fmt: skip
    async def redeliver(self, delivery_id: str, principal: SellerPrincipal) -> DeliveryOut:
        """Send a delivery again (owner only), same event id and body, with 3 more days of retries."""
        return delivery_out(await service.redeliver(_actor(principal), delivery_id))
