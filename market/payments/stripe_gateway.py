"""Card payments through Stripe: the official `stripe` library's `StripeClient`, asynchronously over HTTPX.

PaymentIntents are in VND, a zero-decimal currency (the amount is whole đồng), with automatic payment methods; the
client confirms with Stripe's own SDK using the client secret, so the server never sees card data. Every call that
creates something carries an idempotency key derived from our records (`pi:<payment>`, `refund:<refund>`), so a
retry never creates a second PaymentIntent or refund.
"""

from __future__ import annotations

import json
from typing import Any

import stripe

from market.core.db import fetch
from market.core.errors import DependencyUnavailable
from market.payments.gateway import PaymentRequest, PaymentStart, RefundOutcome, RefundRequest
from market.settings import Settings

_UNAVAILABLE = (stripe.APIConnectionError, stripe.APIError, stripe.RateLimitError)


class StripeGateway:
    method = "card"
    confirms_at_checkout = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        base = {"api": settings.stripe_api_base} if settings.stripe_api_base else None
        self.http = stripe.HTTPXClient(timeout=settings.stripe_timeout_s)
        self.client = stripe.StripeClient(
            settings.stripe_secret_key or "",
            http_client=self.http,
            base_addresses=base,  # type: ignore[arg-type]
            max_network_retries=1,
        )

    def prepared(self, request: PaymentRequest) -> PaymentStart | None:
        return None  # a PaymentIntent is created at Stripe after the commit

    async def close(self) -> None:
        await self.http.close_async()  # type: ignore[no-untyped-call]

    async def start(self, request: PaymentRequest) -> PaymentStart:
        """The order's PaymentIntent (created once: our payment record keeps it) and what the client needs."""
        rows = await fetch("SELECT id, provider_ref, client_secret FROM payment WHERE order_id = $1", request.order_id)
        payment = rows[0]
        secret = payment["client_secret"]
        if secret is None:
            params: Any = {  # stripe.params.PaymentIntentCreateParams
                "amount": request.amount,
                "currency": "vnd",
                "automatic_payment_methods": {"enabled": True},
                "metadata": {"order_id": request.order_id, "payment_id": payment["id"]},
            }
            if request.email:
                params["receipt_email"] = request.email
            intent = await self._call(
                self.client.v1.payment_intents.create_async(params, {"idempotency_key": f"pi:{payment['id']}"})
            )
            secret = intent.client_secret
            await fetch(
                "UPDATE payment SET provider_ref = $2, client_secret = $3, updated_at = now() "
                "WHERE id = $1 AND provider_ref IS NULL",
                payment["id"],
                intent.id,
                secret,
            )
        return PaymentStart("requires_payment", secret, self.settings.stripe_publishable_key)

    async def refund(self, request: RefundRequest) -> RefundOutcome:
        params: Any = {
            "payment_intent": request.provider_ref,
            "amount": request.amount,
            "metadata": {"refund_id": request.refund_id, "order_id": request.order_id},
        }
        refund = await self._call(
            self.client.v1.refunds.create_async(params, {"idempotency_key": f"refund:{request.refund_id}"})
        )
        status = {"succeeded": "succeeded", "pending": "pending"}.get(refund.status or "", "failed")
        return RefundOutcome(status, refund.id)

    async def intent(self, intent_id: str) -> Any:
        """A PaymentIntent as Stripe has it now (the truth when webhooks arrive out of order)."""
        return await self._call(self.client.v1.payment_intents.retrieve_async(intent_id))

    async def cancel(self, intent_id: str) -> Any:
        """Cancel a PaymentIntent so that it can no longer succeed; returns it as it is after (it may have
        succeeded or been canceled meanwhile: then Stripe refuses and this returns it unchanged)."""
        try:
            return await self._call(self.client.v1.payment_intents.cancel_async(intent_id))
        except stripe.InvalidRequestError:
            return await self.intent(intent_id)

    async def events(self, created_after: int, types: list[str]) -> list[dict[str, Any]]:
        """Stripe's events of these types since a Unix time, every page."""
        found: list[dict[str, Any]] = []
        params: Any = {"created": {"gte": created_after}, "types": types, "limit": 100}
        while True:
            page = await self._call(self.client.v1.events.list_async(params))
            found += [json.loads(str(event)) for event in page.data]  # str() is the object's JSON
            if not page.has_more or not page.data:
                return found
            params["starting_after"] = page.data[-1].id

    async def _call(self, call: Any) -> Any:
        try:
            return await call
        except _UNAVAILABLE as exc:
            raise DependencyUnavailable(
                "stripe", f"Stripe is unavailable ({type(exc).__name__}); retry shortly."
            ) from exc
