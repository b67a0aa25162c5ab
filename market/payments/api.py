"""Payment endpoints: Stripe's webhook, and operators' payments, disputes and refunds."""

from __future__ import annotations

import json
from typing import Any

import stripe
from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader
from litestar.di import Provide

from market.core.errors import DomainError, NotFound
from market.core.idempotency.service import checked_key
from market.core.pagination import DEFAULT_LIMIT, Page, decode_cursor, encode_cursor, page_of
from market.core.schemas import rfc3339
from market.payments import service
from market.payments.registry import offered_methods, stripe_gateway
from market.payments.schemas import (
    BankAccountOut,
    PaymentMethodList,
    PaymentMethodOut,
    PaymentOut,
    RefundIn,
    RefundOut,
    WebhookAck,
)
from market.web.deps import IdempotencyKeyHeader, Limit, ResourcesDep
from market.web.openapi.routes import PROBLEMS
from market.web.operator_auth import OperatorPrincipal, provide_operator
from market.web.responses import LOCATION


class InvalidSignature(DomainError):
    status = 400
    code = "invalid_signature"


class StripeWebhookController(Controller):
    path = "/webhooks/stripe"
    tags = ["webhooks"]

    @post("/", operation_id="webhooks_stripe", status_code=200, opt={PROBLEMS: ("invalid_signature",)})
    async def receive(self, request: Request[Any, Any, Any], resources: ResourcesDep) -> WebhookAck:
        """Stripe's events: the signature is checked on the raw body, the event stored once and acknowledged."""
        secret = resources.settings.stripe_webhook_secret
        if not secret:
            raise NotFound("Card payments are not configured.")
        body = await request.body()
        try:
            client = stripe_gateway(resources.settings).client
            event = client.construct_event(body, request.headers.get("stripe-signature", ""), secret)
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise InvalidSignature("The Stripe-Signature header does not match this body, or it is too old.") from exc
        stored = await service.receive(json.loads(body))  # verified above; the event exactly as Stripe sent it
        return WebhookAck(received=True, duplicate=not stored and event.type in service.HANDLED_EVENTS)


def refund_out(row: dict[str, Any]) -> RefundOut:
    return RefundOut(row["id"], row["order_id"], row["seller_order_id"], row["amount"], row["reason"], row["status"],
                     row["requested_by"], rfc3339(row["created_at"]))  # fmt: skip


def payment_out(row: dict[str, Any]) -> PaymentOut:
    return PaymentOut(
        row["id"], row["order_id"], row["method"], row["status"], row["amount"], row["amount_received"],
        row["amount_refunded"], row["provider_ref"], rfc3339(row["disputed_at"]), row["dispute_reason"],
        rfc3339(row["created_at"]),
    )  # fmt: skip


class AdminPaymentController(Controller):
    """Operators: card payments (disputed ones flagged), refunds of an order, and new refunds."""

    path = "/admin/v1"
    tags = ["admin: payments"]
    dependencies = {"operator": Provide(provide_operator)}

    @get("/payments", operation_id="admin_payments_list")
    async def list_payments(
        self, operator: OperatorPrincipal, disputed: bool | None = None, limit: Limit = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[PaymentOut]:  # fmt: skip
        """Card payments, newest first; `disputed=true` for those a cardholder disputed."""
        before = str(decode_cursor(cursor, 1)[0]) if cursor else None
        rows = await service.list_payments(disputed, before, limit + 1)
        return page_of([payment_out(row) for row in rows], limit, lambda last: encode_cursor(last.id))

    @get("/orders/{order_id:str}/refunds", operation_id="admin_refunds_list")
    async def list_refunds(self, order_id: str, operator: OperatorPrincipal) -> Page[RefundOut]:
        """The refunds of one order, oldest first (all of them: an order has few)."""
        return Page(data=[refund_out(row) for row in await service.refunds_of(order_id)], has_more=False,
                    next_cursor=None)  # fmt: skip

    @post("/orders/{order_id:str}/refunds", operation_id="admin_refunds_create", status_code=201,
          opt={LOCATION: "/admin/v1/orders/{order_id}/refunds"})  # fmt: skip
    async def refund(
        self, order_id: str, data: RefundIn, operator: OperatorPrincipal, idempotency_key: IdempotencyKeyHeader
    ) -> RefundOut:
        """Refund all or part of an order's card payment, or one seller order; needs an Idempotency-Key."""
        key = checked_key(idempotency_key)
        refund = await service.operator_refund(order_id, data.seller_order_id, data.amount, data.reason, key,
                                               operator.operator_id)  # fmt: skip
        return refund_out(refund)


# `GET /api/v1/payment-methods`: what checkout accepts now, from the registry checkout itself asks.
class PaymentMethodController(Controller):
    path = "/api/v1/payment-methods"
    tags = ["storefront: checkout"]

    @get("/", operation_id="payment_methods_list", cache_control=CacheControlHeader(public=True, max_age=300))
    async def list_methods(self, resources: ResourcesDep) -> PaymentMethodList:
        """The payment methods checkout accepts now (cash on delivery always; bank transfer when the collection
        account and the bank feed are configured; card when Stripe is)."""
        offered = offered_methods(resources.settings)
        return PaymentMethodList([PaymentMethodOut(m.id, m.name, m.provider, m.confirms_at_checkout,
                                                   m.publishable_key, m.pay_within_s,
                                                   BankAccountOut(**m.bank) if m.bank else None)
                                  for m in offered])  # fmt: skip
