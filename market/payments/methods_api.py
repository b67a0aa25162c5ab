"""`GET /api/v1/payment-methods`: what checkout accepts now, from the registry checkout itself asks."""

from __future__ import annotations

from litestar import Controller, get
from litestar.datastructures import CacheControlHeader

from market.core.deps import ResourcesDep
from market.payments.registry import offered_methods
from market.payments.schemas import PaymentMethodList, PaymentMethodOut


class PaymentMethodController(Controller):
    path = "/api/v1/payment-methods"
    tags = ["storefront: checkout"]

    @get("/", operation_id="payment_methods_list", cache_control=CacheControlHeader(public=True, max_age=300))
    async def list_methods(self, resources: ResourcesDep) -> PaymentMethodList:
        """The payment methods checkout accepts now (cash on delivery always; card when Stripe is configured)."""
        offered = offered_methods(resources.settings)
        return PaymentMethodList([PaymentMethodOut(m.id, m.name, m.provider, m.confirms_at_checkout,
                                                   m.publishable_key) for m in offered])  # fmt: skip
