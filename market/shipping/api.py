"""Shipping endpoints: the carrier's status webhooks, tracking timelines for buyers and sellers, and operators'
parked parcels, COD remittances and problems, and the carrier reports we kept."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get, post
from litestar.di import Provide
from litestar.params import Parameter

from market.accounts.addresses import get_address
from market.cart import service as carts
from market.cart.api import CartToken, cart_store, current_cart
from market.core.errors import NotAuthenticated, NotFound, field_error
from market.core.pagination import (
    DEFAULT_LIMIT,
    InvalidCursor,
    Page,
    decode_cursor,
    decode_time_key,
    encode_cursor,
    page_of,
    time_key_cursor,
)
from market.core.resources import Resources
from market.orders import reads
from market.orders.api import OrderToken
from market.payments.registry import gateway_for
from market.settings import Settings
from market.shipping import cod, estimates, reports, service
from market.shipping.carrier import WebhookRefused
from market.shipping.estimates import Item, Place
from market.shipping.quote_mapping import quote_out
from market.shipping.quote_schemas import QuoteIn, ShippingQuoteOut
from market.shipping.registry import carrier_for, quoter_for
from market.shipping.schemas import (
    BatchOut,
    CarrierAck,
    CarrierReportOut,
    CodProblemOut,
    ParcelOut,
    ParcelStatus,
    ProblemKind,
    ProblemStatus,
    RemittanceOut,
    ReportReason,
    ReportStatus,
    ResolveIn,
)
from market.shipping.views import batch_out, parcels_out, problem_out, remittance_out, report_out
from market.shipping.vnpost import VnPost
from market.web.deps import Limit, ResourcesDep
from market.web.openapi.routes import PROBLEMS
from market.web.operator_auth import OperatorPrincipal, provide_operator
from market.web.seller_auth import SellerPrincipal, provide_seller
from market.web.sessions import Buyer, current_buyer, provide_buyer

Batch = Annotated[str, Parameter(min_length=1, max_length=64, description="The batch's name (e.g. COD-00001).")]


def _carrier(settings: Settings) -> VnPost:
    adapter = carrier_for(settings)
    if adapter is None:
        raise NotFound("No carrier is configured.")
    return adapter


def _after(cursor: str | None) -> str | None:
    return str(decode_cursor(cursor, 1)[0]) if cursor else None


def _actor(operator: OperatorPrincipal) -> str:
    return f"operator:{operator.operator_id}"


class CarrierWebhookController(Controller):
    path = "/webhooks/carriers"
    tags = ["webhooks"]

    @post("/{carrier:str}", operation_id="webhooks_carrier", status_code=200, opt={PROBLEMS: ("invalid_signature",)})
    async def receive(self, carrier: str, request: Request[Any, Any, Any], resources: ResourcesDep) -> CarrierAck:
        """A parcel status: signed (HMAC), stored once by its transaction id, applied in the order of its time; a signed
        report we cannot map is kept for operators and acknowledged all the same."""
        adapter = carrier_for(resources.settings)
        if adapter is None or adapter.name != carrier:
            raise NotFound("No such carrier.")
        body = await request.body()
        try:
            transaction = adapter.verify(body, dict(request.headers))
        except WebhookRefused as exc:
            raise NotAuthenticated("The carrier's signature is missing or wrong.", code="invalid_signature") from exc
        await reports.receive(adapter, body, transaction)  # applied, or kept for operators: acknowledged either way
        return CarrierAck("success", transaction)


class BuyerTrackingController(Controller):
    path = "/orders"  # mounted on the buyer router, under /api/v1
    tags = ["storefront: orders"]
    dependencies = {"buyer": Provide(provide_buyer)}

    @get("/{order_id:str}/tracking", operation_id="orders_tracking")
    async def tracking(self, order_id: str, buyer: Buyer) -> Page[ParcelOut]:
        """Your order's parcels, each with its tracking timeline (all of them: one per seller at most)."""
        order = await reads.get_order(order_id, buyer.account_id)
        found = await service.timeline([seller_order.id for seller_order in order.seller_orders])
        return Page(data=await parcels_out(found, books=False), has_more=False, next_cursor=None)


class GuestTrackingController(Controller):
    path = "/api/v1/guest-orders"
    tags = ["storefront: orders"]

    @get("/{order_id:str}/tracking", operation_id="guest_orders_tracking")
    async def tracking(self, order_id: str, order_token: OrderToken, resources: ResourcesDep) -> Page[ParcelOut]:
        """A guest's parcels, each with its tracking timeline (the `Order-Token` header; all of them)."""
        order = await reads.guest_order(resources.settings.secret_key, order_id, order_token)
        found = await service.timeline([seller_order.id for seller_order in order.seller_orders])
        return Page(data=await parcels_out(found, books=False), has_more=False, next_cursor=None)


class SellerParcelController(Controller):
    path = "/seller/v1/orders"
    tags = ["seller: orders"]
    dependencies = {"principal": Provide(provide_seller)}

    @get("/{seller_order_id:str}/parcel", operation_id="seller_orders_parcel", opt={"scope": "orders:read"})
    async def parcel(self, seller_order_id: str, principal: SellerPrincipal) -> ParcelOut:
        """The parcel of a packed seller order: tracking code, label, timeline and its cash (404 until it exists)."""
        await reads.get_seller_order(seller_order_id, principal.seller_id)
        found = await service.timeline([seller_order_id])
        if not found:
            raise NotFound("This seller order has no parcel yet.")
        return (await parcels_out(found, books=True))[0]


class AdminShippingController(Controller):
    path = "/admin/v1"
    tags = ["admin: shipping"]
    dependencies = {"operator": Provide(provide_operator)}

    @get("/parcels", operation_id="admin_parcels_list")
    async def parcels(
        self,
        operator: OperatorPrincipal,
        status: ParcelStatus | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[ParcelOut]:
        """Parcels by status (e.g. `parked`: handoffs that gave up), oldest first, with their timelines and cash."""
        page = page_of(await service.parcels_page(status, decode_time_key(cursor), limit), limit, time_key_cursor)
        found = await service.timeline([key.owner for key in page.data])
        served = {out.id: out for out in await parcels_out(found, books=True)}
        return page.map(lambda key: served[key.id])

    @post("/parcels/{parcel_id:str}/retry", operation_id="admin_parcels_retry", status_code=200)
    async def retry(self, parcel_id: str, operator: OperatorPrincipal) -> ParcelOut:
        """Send a parked parcel back to the handoff queue (audited)."""
        parcel = await service.retry(parcel_id, _actor(operator))
        owner = parcel["seller_order_id"] or parcel["return_id"]
        return (await parcels_out(await service.timeline([owner]), books=True))[0]

    @post("/cod-remittances", operation_id="admin_cod_remittances_import", status_code=200)
    async def import_remittance(
        self, request: Request[Any, Any, Any], operator: OperatorPrincipal, resources: ResourcesDep, batch: Batch
    ) -> RemittanceOut:
        """Import a COD remittance batch (the carrier's CSV as the body; `batch` names it); audited."""
        remittance = _carrier(resources.settings).parse_remittance(batch, await request.body())
        return remittance_out(await cod.import_remittance(remittance, _actor(operator)))

    @get("/cod-remittances", operation_id="admin_cod_remittances_list")
    async def batches(
        self, operator: OperatorPrincipal, limit: Limit = DEFAULT_LIMIT, cursor: str | None = None
    ) -> Page[BatchOut]:
        """Imported remittance batches, newest first, with their cash, fees and net (what the transfer must be)."""
        after = decode_cursor(cursor, 1)[0] if cursor else None
        if after is not None and not isinstance(after, int):
            raise InvalidCursor("The cursor is not one this API issued.")
        found = await cod.list_batches(after, limit)
        page = page_of(found, limit, lambda last: encode_cursor(last.first_line))
        return Page([batch_out(batch) for batch in page.data], page.has_more, page.next_cursor)

    @get("/cod-problems", operation_id="admin_cod_problems_list")
    async def problems(
        self,
        operator: OperatorPrincipal,
        kind: ProblemKind | None = None,
        status: ProblemStatus | None = None,
        parcel_id: str | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[CodProblemOut]:
        """COD problems to chase (paid twice, amounts that differ, unpaid after the due days ...), oldest first."""
        rows = await cod.list_problems(kind, status, parcel_id, _after(cursor), limit)
        return page_of([problem_out(row) for row in rows], limit, lambda last: encode_cursor(last.id))

    @post("/cod-problems/{problem_id:str}/resolve", operation_id="admin_cod_problems_resolve", status_code=200)
    async def resolve(self, problem_id: str, data: ResolveIn, operator: OperatorPrincipal) -> CodProblemOut:
        """Resolve a COD problem with a note saying what was done (audited; once)."""
        return problem_out(await cod.resolve(problem_id, data.note, _actor(operator)))

    @get("/carrier-reports", operation_id="admin_carrier_reports_list")
    async def carrier_reports(
        self,
        operator: OperatorPrincipal,
        reason: ReportReason | None = None,
        status: ReportStatus | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[CarrierReportOut]:
        """Signed carrier webhooks we could not apply (unknown status, unparseable, unknown parcel), oldest first."""
        rows = await reports.list_reports(reason, status, _after(cursor), limit)
        return page_of([report_out(row) for row in rows], limit, lambda last: encode_cursor(last.id))

    @post("/carrier-reports/{report_id:str}/reapply", operation_id="admin_carrier_reports_reapply", status_code=200)
    async def reapply(self, report_id: str, operator: OperatorPrincipal, resources: ResourcesDep) -> CarrierReportOut:
        """Apply a kept carrier report again after a fix (409 `report_unmappable` when it still cannot be)."""
        return report_out(await reports.reapply(report_id, _carrier(resources.settings), _actor(operator)))


# `POST /api/v1/shipping/quotes`: shipping per seller before the order, as checkout will charge it.
async def _items(
    data: QuoteIn, request: Request[Any, Any, Any], resources: Resources, token: str | None
) -> tuple[list[Item], Place | None]:
    """The items asked about, or the caller's cart's lines on sale with the cart's destination."""
    if data.items is not None:
        return await estimates.items_of(data.items), None
    cart = await carts.contents(cart_store(resources), current_cart(request, resources, token))
    return estimates.items_on_sale(cart.lines, cart.variants), cart.destination


async def _destination(data: QuoteIn, request: Request[Any, Any, Any], stored: Place | None) -> Place:
    if data.destination is not None and data.shipping_address_id is not None:
        raise field_error("shipping_address_id", "one_address", "Give destination or shipping_address_id.")
    if data.destination is not None:
        return estimates.checked_place(data.destination.province_code, data.destination.ward_code, "destination.")
    if data.shipping_address_id is not None:
        buyer = current_buyer(request)
        if buyer is None:
            raise field_error("shipping_address_id", "sign_in_required", "Guests give the destination itself.")
        address = await get_address(buyer.account_id, data.shipping_address_id)  # anyone else's: 404
        return Place(address.province_code, address.ward_code)
    if stored is None:
        raise field_error("destination", "required", "Give destination or shipping_address_id.")
    return stored


class ShippingQuoteController(Controller):
    path = "/shipping/quotes"
    tags = ["storefront: checkout"]

    @post("/", operation_id="shipping_quotes_create", status_code=200)
    async def quote(
        self, data: QuoteIn, request: Request[Any, Any, Any], resources: ResourcesDep, cart_token: CartToken
    ) -> ShippingQuoteOut:
        """Shipping per seller for items or the cart, to a destination: fee, service, transit days, perishability."""
        cod = gateway_for(data.payment_method, resources.settings).confirms_at_checkout
        items, stored = await _items(data, request, resources, cart_token)
        place = await _destination(data, request, stored)
        quoter = quoter_for(resources.settings, resources.redis)
        return quote_out(place, data.payment_method, await estimates.estimate(quoter, items, place, cod))
