"""Order endpoints: buyers' own orders, sellers' seller orders (seller API), operators' view of every order."""

from __future__ import annotations

from typing import Annotated, Literal

from litestar import Controller, get, post
from litestar.di import Provide
from litestar.params import HeaderParameter

from market.core.errors import NotFound
from market.core.pagination import DEFAULT_LIMIT, Page
from market.orders import reads, service
from market.orders.schemas import CancelIn, OrderOut, PackIn, RefundIn, SellerOrderOut
from market.web.deps import Limit, ResourcesDep
from market.web.operator_auth import OperatorPrincipal, provide_operator
from market.web.seller_auth import SellerPrincipal, provide_seller
from market.web.sessions import Buyer, provide_buyer

SellerOrderStatus = Literal[
    "pending_payment", "confirmed", "packing", "packed", "handed_over", "in_transit", "delivered", "completed",
    "cancelled", "delivery_failed", "returning", "returned", "refunded",
]  # fmt: skip
READ = {"scope": "orders:read"}
WRITE = {"scope": "orders:write"}


def _seller_actor(principal: SellerPrincipal) -> str:
    who = principal.account_id or principal.api_key_id
    return f"seller:{principal.seller_id}:{who}"


class BuyerOrderController(Controller):
    """A signed-in buyer's own orders."""

    path = "/orders"
    tags = ["storefront: orders"]
    dependencies = {"buyer": Provide(provide_buyer)}

    @get("/", operation_id="orders_list")
    async def list_orders(
        self, buyer: Buyer, limit: Limit = DEFAULT_LIMIT, cursor: str | None = None
    ) -> Page[OrderOut]:
        """Your orders, newest first."""
        return await reads.list_orders(buyer.account_id, limit, cursor)

    @get("/{order_id:str}", operation_id="orders_get")
    async def get_order(self, order_id: str, buyer: Buyer) -> OrderOut:
        """One of your orders, with each seller order's lines and history."""
        return await reads.get_order(order_id, buyer.account_id)

    @post("/{order_id:str}/seller-orders/{seller_order_id:str}/cancel", operation_id="orders_cancel_seller_order",
          status_code=200)  # fmt: skip
    async def cancel(self, order_id: str, seller_order_id: str, data: CancelIn, buyer: Buyer) -> OrderOut:
        """Cancel one seller's part of your order before it is handed to the carrier (stock released, refund)."""
        order = await reads.get_order(order_id, buyer.account_id)
        if seller_order_id not in {seller_order.id for seller_order in order.seller_orders}:
            raise NotFound("No such seller order in this order.")
        owner = service.Owner(account_id=buyer.account_id)
        await service.cancel(seller_order_id, f"customer:{buyer.account_id}", data.reason, owner)
        return await reads.get_order(order_id, buyer.account_id)


OrderToken = Annotated[
    str | None,
    HeaderParameter(name="Order-Token", required=False, description="The `access_token` of a guest's checkout."),
]


class GuestOrderController(Controller):
    """A guest's order, read with the `access_token` its checkout returned (the `Order-Token` header)."""

    path = "/api/v1/guest-orders"
    tags = ["storefront: orders"]

    @get("/{order_id:str}", operation_id="guest_orders_get")
    async def get_order(self, order_id: str, order_token: OrderToken, resources: ResourcesDep) -> OrderOut:
        """A guest's order, with each seller order's lines and history."""
        return await reads.guest_order(resources.settings.secret_key, order_id, order_token)


class SellerOrderController(Controller):
    """The authenticated seller's orders: list, read, pack, cancel."""

    path = "/seller/v1/orders"
    tags = ["seller: orders"]
    dependencies = {"principal": Provide(provide_seller)}

    @get("/", operation_id="seller_orders_list", opt=READ)
    async def list_orders(
        self,
        principal: SellerPrincipal,
        status: SellerOrderStatus | None = None,
        order_id: str | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[SellerOrderOut]:
        """Your seller orders, newest first; filter by `status` (e.g. confirmed: to pack) or `order_id`."""
        return await reads.list_seller_orders(principal.seller_id, limit, cursor, status, order_id)

    @get("/{seller_order_id:str}", operation_id="seller_orders_get", opt=READ)
    async def get_order(self, seller_order_id: str, principal: SellerPrincipal) -> SellerOrderOut:
        """One seller order with its lines, shipping address and history."""
        return await reads.get_seller_order(seller_order_id, principal.seller_id)

    @post("/{seller_order_id:str}/start-packing", operation_id="seller_orders_start_packing", opt=WRITE,
          status_code=200)  # fmt: skip
    async def start_packing(self, seller_order_id: str, principal: SellerPrincipal) -> SellerOrderOut:
        """Start packing a confirmed seller order."""
        owner = service.Owner(seller_id=principal.seller_id)
        await service.start_packing(seller_order_id, _seller_actor(principal), owner)
        return await reads.get_seller_order(seller_order_id, principal.seller_id)

    @post("/{seller_order_id:str}/pack", operation_id="seller_orders_pack", opt=WRITE, status_code=200)
    async def pack(self, seller_order_id: str, data: PackIn, principal: SellerPrincipal) -> SellerOrderOut:
        """Mark it packed, with the packed weight of each catch-weight line (the amounts follow the weights)."""
        packed = {line.line_id: line.packed_weight_g for line in data.lines}
        owner = service.Owner(seller_id=principal.seller_id)
        await service.pack(seller_order_id, _seller_actor(principal), owner, packed)
        return await reads.get_seller_order(seller_order_id, principal.seller_id)

    @post("/{seller_order_id:str}/cancel", operation_id="seller_orders_cancel", opt=WRITE, status_code=200)
    async def cancel(self, seller_order_id: str, data: CancelIn, principal: SellerPrincipal) -> SellerOrderOut:
        """Cancel with a reason before handover: stock released, the buyer refunded when paid."""
        owner = service.Owner(seller_id=principal.seller_id)
        await service.cancel(seller_order_id, _seller_actor(principal), data.reason, owner)
        return await reads.get_seller_order(seller_order_id, principal.seller_id)


class AdminOrderController(Controller):
    """Every order, for operators: read, cancel and refund with a reason."""

    path = "/admin/v1"
    tags = ["admin: orders"]
    dependencies = {"operator": Provide(provide_operator)}

    @get("/orders", operation_id="admin_orders_list")
    async def list_orders(
        self, operator: OperatorPrincipal, limit: Limit = DEFAULT_LIMIT, cursor: str | None = None
    ) -> Page[OrderOut]:
        """Every order, newest first."""
        return await reads.list_orders(None, limit, cursor)

    @get("/orders/{order_id:str}", operation_id="admin_orders_get")
    async def get_order(self, order_id: str, operator: OperatorPrincipal) -> OrderOut:
        """One order."""
        return await reads.get_order(order_id)

    @get("/seller-orders", operation_id="admin_seller_orders_list")
    async def list_seller_orders(
        self,
        operator: OperatorPrincipal,
        status: SellerOrderStatus | None = None,
        seller_id: str | None = None,
        order_id: str | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[SellerOrderOut]:
        """Every seller order, newest first, filtered by status, seller or order."""
        return await reads.list_seller_orders(seller_id, limit, cursor, status, order_id)

    @post("/seller-orders/{seller_order_id:str}/cancel", operation_id="admin_seller_orders_cancel", status_code=200)
    async def cancel(self, seller_order_id: str, data: CancelIn, operator: OperatorPrincipal) -> SellerOrderOut:
        """Cancel a seller order before handover, with a reason."""
        await service.cancel(seller_order_id, f"operator:{operator.operator_id}", data.reason, service.OPERATOR)
        return await reads.get_seller_order(seller_order_id)

    @post("/seller-orders/{seller_order_id:str}/refund", operation_id="admin_seller_orders_refund", status_code=200)
    async def refund(self, seller_order_id: str, data: RefundIn, operator: OperatorPrincipal) -> SellerOrderOut:
        """Refund a seller order whose money came in, with a reason."""
        await service.refund(seller_order_id, f"operator:{operator.operator_id}", data.reason)
        return await reads.get_seller_order(seller_order_id)
