"""Shipping endpoints: the carrier's status webhooks, tracking timelines for buyers and sellers, and operators'
parked parcels and COD remittances."""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Controller, Request, get, post
from litestar.di import Provide

from market.accounts.sessions import Buyer, provide_buyer
from market.core.deps import ResourcesDep
from market.core.errors import DomainError, NotAuthenticated, NotFound
from market.core.schemas import rfc3339
from market.operators.auth import OperatorPrincipal, provide_operator
from market.orders import reads
from market.orders.api import OrderToken
from market.sellers.auth import SellerPrincipal, provide_seller
from market.shipping import service
from market.shipping.carrier import WebhookRefused
from market.shipping.registry import carrier_for
from market.shipping.schemas import CarrierAck, ParcelOut, RemittanceOut, TrackingEventOut


class MalformedRemittance(DomainError):
    status = 422
    code = "malformed_remittance"
    title = "Malformed remittance"


def parcel_out(found: dict[str, Any]) -> ParcelOut:
    parcel = found["parcel"]
    timeline = [TrackingEventOut(e["status"], e["status_name"], e["location"], e["note"], rfc3339(e["happened_at"]),
                                 e["applied"]) for e in found["events"]]  # fmt: skip
    return ParcelOut(parcel["id"], parcel["seller_order_id"], parcel["carrier"], parcel["status"],
                     parcel["tracking_code"], parcel["label_url"], parcel["fee"], parcel["cod_amount"],
                     parcel["attempts"], parcel["last_error"], timeline)  # fmt: skip


class CarrierWebhookController(Controller):
    path = "/webhooks/carriers"
    tags = ["webhooks"]

    @post("/{carrier:str}", operation_id="webhooks_carrier", status_code=200)
    async def receive(self, carrier: str, request: Request[Any, Any, Any], resources: ResourcesDep) -> CarrierAck:
        """A parcel status: signed (HMAC), stored once by its transaction id, applied in the order of its time."""
        adapter = carrier_for(resources.settings)
        if adapter is None or adapter.name != carrier:
            raise NotFound("No such carrier.")
        try:
            report = adapter.parse_status(await request.body(), dict(request.headers))
        except WebhookRefused as exc:
            raise NotAuthenticated("The carrier's signature is missing or wrong.", code="invalid_signature") from exc
        await service.apply_status(report, carrier)
        return CarrierAck("success", report.transaction_id)


class BuyerTrackingController(Controller):
    path = "/orders"  # mounted on the buyer router, under /api/v1
    tags = ["storefront: orders"]
    dependencies = {"buyer": Provide(provide_buyer)}

    @get("/{order_id:str}/tracking", operation_id="orders_tracking")
    async def tracking(self, order_id: str, buyer: Buyer) -> list[ParcelOut]:
        """Your order's parcels, each with its tracking timeline."""
        order = await reads.get_order(order_id, buyer.account_id)
        found = await service.timeline([seller_order.id for seller_order in order.seller_orders])
        return [parcel_out(item) for item in found.values()]


class GuestTrackingController(Controller):
    path = "/api/v1/guest-orders"
    tags = ["storefront: orders"]

    @get("/{order_id:str}/tracking", operation_id="guest_orders_tracking")
    async def tracking(self, order_id: str, order_token: OrderToken, resources: ResourcesDep) -> list[ParcelOut]:
        """A guest's parcels, each with its tracking timeline (the `Order-Token` header)."""
        order = await reads.guest_order(resources.settings.secret_key, order_id, order_token)
        found = await service.timeline([seller_order.id for seller_order in order.seller_orders])
        return [parcel_out(item) for item in found.values()]


class SellerParcelController(Controller):
    path = "/seller/v1/orders"
    tags = ["seller: orders"]
    dependencies = {"principal": Provide(provide_seller)}

    @get("/{seller_order_id:str}/parcel", operation_id="seller_orders_parcel", opt={"scope": "orders:read"})
    async def parcel(self, seller_order_id: str, principal: SellerPrincipal) -> ParcelOut:
        """The parcel of a packed seller order: tracking code, label and timeline (404 until it exists)."""
        await reads.get_seller_order(seller_order_id, principal.seller_id)
        found = (await service.timeline([seller_order_id])).get(seller_order_id)
        if found is None:
            raise NotFound("This seller order has no parcel yet.")
        return parcel_out(found)


class AdminShippingController(Controller):
    path = "/admin/v1"
    tags = ["admin: shipping"]
    dependencies = {"operator": Provide(provide_operator)}

    @get("/parcels", operation_id="admin_parcels_list")
    async def parcels(self, operator: OperatorPrincipal, status: str | None = None) -> list[ParcelOut]:
        """Parcels by status (e.g. `parked`: handoffs that gave up), oldest first, at most 500."""
        found = await service.timeline(await service.seller_orders_with_parcels(status, 500))
        return [parcel_out(item) for item in found.values()]

    @post("/parcels/{parcel_id:str}/retry", operation_id="admin_parcels_retry", status_code=200)
    async def retry(self, parcel_id: str, operator: OperatorPrincipal) -> ParcelOut:
        """Send a parked parcel back to the handoff queue."""
        parcel = await service.retry(parcel_id)
        owner = parcel["seller_order_id"] or parcel["return_id"]
        return parcel_out((await service.timeline([owner]))[owner])

    @post("/cod-remittances", operation_id="admin_cod_remittances_import", status_code=200)
    async def import_remittance(
        self, request: Request[Any, Any, Any], operator: OperatorPrincipal, resources: ResourcesDep, batch: str
    ) -> RemittanceOut:
        """Import a COD remittance batch (the carrier's CSV as the body; `batch` names it)."""
        adapter = carrier_for(resources.settings)
        if adapter is None:
            raise NotFound("No carrier is configured.")
        try:
            remittance = adapter.parse_remittance(batch, (await request.body()).decode())
        except (KeyError, ValueError, UnicodeDecodeError) as exc:
            raise MalformedRemittance("The body is not a remittance CSV (tracking_code, amount, fee).") from exc
        return msgspec.convert(await service.import_remittance(remittance), RemittanceOut)

    @get("/cod-remittances/problems", operation_id="admin_cod_remittances_problems")
    async def problems(self, operator: OperatorPrincipal) -> dict[str, Any]:
        """Lines that did not match their parcel, and delivered COD parcels that no batch has paid for."""
        return await service.remittance_problems()
