"""Return endpoints: buyers open and dispute returns, sellers accept or refuse them, operators decide disputes."""

from __future__ import annotations

import contextlib

import msgspec
from litestar import Controller, Response, get, post
from litestar.di import Provide
from litestar.openapi.datastructures import ResponseSpec

from market.core.errors import NotFound
from market.core.idempotency import service as idempotency
from market.core.pagination import DEFAULT_LIMIT, Page
from market.orders import returns as seller_orders
from market.returns import decisions, reads, service
from market.returns.schemas import DecideIn, ReasonIn, ReturnIn, ReturnOut, ReturnStatus
from market.web.deps import IdempotencyKeyHeader, Limit, ResourcesDep
from market.web.operator_auth import OperatorPrincipal, provide_operator
from market.web.seller_auth import SellerPrincipal, provide_seller
from market.web.sessions import Buyer, provide_buyer

READ = {"scope": "orders:read"}
WRITE = {"scope": "orders:write"}
JSON = "application/json"


def _buyer(buyer: Buyer) -> service.Owner:
    return service.Owner(account_id=buyer.account_id)


def _seller(principal: SellerPrincipal) -> tuple[service.Owner, str]:
    actor = f"seller:{principal.seller_id}:{principal.account_id or principal.api_key_id}"
    return service.Owner(seller_id=principal.seller_id), actor


async def _answer(opened: service.Opened) -> Response[bytes]:
    """The new return's response, stored for replays of its Idempotency-Key (or the first response, replayed)."""
    if opened.replay is not None:
        return Response(opened.replay.body.encode(), status_code=opened.replay.status, media_type=JSON,
                        headers={"Idempotent-Replayed": "true"})  # fmt: skip
    assert opened.claim is not None and opened.return_id is not None
    try:
        body = msgspec.json.encode(await reads.get_return(opened.return_id, service.OPERATOR))
        await idempotency.finish(opened.claim, 201, body.decode())
    except BaseException:
        with contextlib.suppress(Exception):  # a retry with the same key finishes it at once
            await idempotency.unlock(opened.claim)
        raise
    return Response(body, status_code=201, media_type=JSON, headers={"Location": f"/api/v1/returns/{opened.return_id}"})


class BuyerReturnController(Controller):
    """A signed-in buyer's returns (mounted on the buyer router, under /api/v1)."""

    path = "/"
    tags = ["storefront: returns"]
    dependencies = {"buyer": Provide(provide_buyer)}

    @post(
        "/orders/{order_id:str}/returns",
        operation_id="returns_open",
        status_code=201,
        responses={201: ResponseSpec(ReturnOut, description="The return (or the first response, replayed).")},
    )
    async def open_return(
        self,
        order_id: str,
        data: ReturnIn,
        buyer: Buyer,
        resources: ResourcesDep,
        idempotency_key: IdempotencyKeyHeader,
    ) -> Response[bytes]:
        """Return lines of a delivered seller order within the return window; needs an Idempotency-Key."""
        key = idempotency.checked_key(idempotency_key)
        fingerprint = idempotency.fingerprint(f"POST /api/v1/orders/{order_id}/returns".encode(),
                                              msgspec.json.encode(data, order="sorted"))  # fmt: skip
        settings = resources.settings
        request = service.OpenRequest(buyer.account_id, order_id, data, key, fingerprint)
        return await _answer(await service.open_return(request, settings.return_window_days,
                                                       settings.image_trusted_hosts))  # fmt: skip

    @get("/orders/{order_id:str}/returns", operation_id="returns_list_of_order")
    async def list_of_order(
        self, order_id: str, buyer: Buyer, limit: Limit = DEFAULT_LIMIT, cursor: str | None = None
    ) -> Page[ReturnOut]:
        """The returns of one of your orders, newest first."""
        if not await seller_orders.buyer_owns(order_id, buyer.account_id):
            raise NotFound("No such order.")
        return await reads.list_returns(_buyer(buyer), limit, cursor, order_id=order_id)

    @get("/returns/{return_id:str}", operation_id="returns_get")
    async def get_return(self, return_id: str, buyer: Buyer) -> ReturnOut:
        """One of your returns, with its refund, return parcel and history."""
        return await reads.get_return(return_id, _buyer(buyer))

    @post("/returns/{return_id:str}/dispute", operation_id="returns_dispute", status_code=200)
    async def dispute(self, return_id: str, data: ReasonIn, buyer: Buyer, resources: ResourcesDep) -> ReturnOut:
        """Dispute the seller's refusal, with a reason: an operator decides."""
        await decisions.dispute(return_id, f"customer:{buyer.account_id}", data.reason, _buyer(buyer),
                                resources.settings.return_window_days)  # fmt: skip
        return await reads.get_return(return_id, _buyer(buyer))


class SellerReturnController(Controller):
    """The authenticated seller's returns: list, read, accept, refuse."""

    path = "/seller/v1/returns"
    tags = ["seller: returns"]
    dependencies = {"principal": Provide(provide_seller)}

    @get("/", operation_id="seller_returns_list", opt=READ)
    async def list_returns(
        self,
        principal: SellerPrincipal,
        status: ReturnStatus | None = None,
        order_id: str | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[ReturnOut]:
        """Returns of your seller orders, newest first; filter by `status` (requested: to decide) or `order_id`."""
        return await reads.list_returns(_seller(principal)[0], limit, cursor, status, order_id)

    @get("/{return_id:str}", operation_id="seller_returns_get", opt=READ)
    async def get_return(self, return_id: str, principal: SellerPrincipal) -> ReturnOut:
        """One return of your seller orders."""
        return await reads.get_return(return_id, _seller(principal)[0])

    @post("/{return_id:str}/accept", operation_id="seller_returns_accept", opt=WRITE, status_code=200)
    async def accept(self, return_id: str, principal: SellerPrincipal) -> ReturnOut:
        """Accept: a return parcel is created; the goods restock and the buyer is refunded when it arrives."""
        owner, actor = _seller(principal)
        await decisions.accept(return_id, actor, owner)
        return await reads.get_return(return_id, owner)

    @post("/{return_id:str}/refuse", operation_id="seller_returns_refuse", opt=WRITE, status_code=200)
    async def refuse(self, return_id: str, data: ReasonIn, principal: SellerPrincipal) -> ReturnOut:
        """Refuse with a reason the buyer reads (the buyer may dispute it)."""
        owner, actor = _seller(principal)
        await decisions.refuse(return_id, actor, data.reason, owner)
        return await reads.get_return(return_id, owner)


class AdminReturnController(Controller):
    """Every return, for operators, who decide the disputed ones."""

    path = "/admin/v1/returns"
    tags = ["admin: returns"]
    dependencies = {"operator": Provide(provide_operator)}

    @get("/", operation_id="admin_returns_list")
    async def list_returns(
        self,
        operator: OperatorPrincipal,
        status: ReturnStatus | None = None,
        seller_id: str | None = None,
        order_id: str | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[ReturnOut]:
        """Every return, newest first, by status, seller or order; `status=disputed` lists the disputes to decide."""
        return await reads.list_returns(service.Owner(seller_id=seller_id), limit, cursor, status, order_id)

    @get("/{return_id:str}", operation_id="admin_returns_get")
    async def get_return(self, return_id: str, operator: OperatorPrincipal) -> ReturnOut:
        """One return."""
        return await reads.get_return(return_id, service.OPERATOR)

    @post("/{return_id:str}/decide", operation_id="admin_returns_decide", status_code=200)
    async def decide(self, return_id: str, data: DecideIn, operator: OperatorPrincipal) -> ReturnOut:
        """Decide a disputed return: accept it (as the seller would) or refuse it for good; audited."""
        await decisions.decide(return_id, operator.operator_id, data.decision == "accept", data.reason)
        return await reads.get_return(return_id, service.OPERATOR)
