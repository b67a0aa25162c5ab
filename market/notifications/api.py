"""Notification endpoints: buyers' and sellers' preferences, sellers' low-stock thresholds, the public unsubscribe
link, and the operators' delivery log with its retry action."""

from __future__ import annotations

from litestar import Controller, delete, get, patch, post, put
from litestar.di import Provide

from market.core.errors import NotFound
from market.core.pagination import DEFAULT_LIMIT, Page
from market.notifications import alerts, delivery, reads, service
from market.notifications.schemas import (
    DeliveryOut,
    DeliveryStatus,
    PreferencesOut,
    PreferencesPatch,
    ThresholdIn,
    ThresholdOut,
    UnsubscribedOut,
    apply_patch,
    preferences_out,
    threshold_out,
)
from market.web.deps import Limit, ResourcesDep
from market.web.openapi.routes import PROBLEMS
from market.web.operator_auth import OperatorPrincipal, provide_operator
from market.web.seller_auth import SellerPrincipal, provide_seller
from market.web.sessions import Buyer, provide_buyer

CATALOG_WRITE = {"scope": "catalog:write"}


class BuyerNotificationController(Controller):
    """The signed-in buyer's notification preferences (mounted on the buyer router, under /api/v1)."""

    path = "/me/notification-preferences"
    tags = ["storefront: account"]
    dependencies = {"buyer": Provide(provide_buyer)}

    @get("/", operation_id="buyer_notification_preferences_get")
    async def get_preferences(self, buyer: Buyer) -> PreferencesOut:
        """Your channels per kind of message, language and marketing opt-in."""
        return preferences_out(await service.preferences(buyer.account_id), "buyer")

    @patch("/", operation_id="buyer_notification_preferences_update")
    async def update_preferences(self, data: PreferencesPatch, buyer: Buyer) -> PreferencesOut:
        """Change channels per kind (an optional kind may be turned off), the language or the marketing opt-in."""
        prefs = apply_patch(await service.preferences(buyer.account_id), data, "buyer")
        await service.save_preferences(prefs)
        return preferences_out(prefs, "buyer")


class SellerNotificationController(Controller):
    """The authenticated seller's notification preferences and low-stock thresholds."""

    path = "/seller/v1"
    tags = ["seller: notifications"]
    dependencies = {"principal": Provide(provide_seller)}

    @get("/notification-preferences", operation_id="seller_notification_preferences_get")
    async def get_preferences(self, principal: SellerPrincipal) -> PreferencesOut:
        """The shop's channels per kind of message (default: email) and language."""
        return preferences_out(await service.preferences(principal.seller_id), "seller")

    @patch("/notification-preferences", operation_id="seller_notification_preferences_update", opt={"owner": True})
    async def update_preferences(self, data: PreferencesPatch, principal: SellerPrincipal) -> PreferencesOut:
        """Change the shop's channels per kind of message or its language (the owner, signed in)."""
        prefs = apply_patch(await service.preferences(principal.seller_id), data, "seller")
        await service.save_preferences(prefs)
        return preferences_out(prefs, "seller")

    @get("/low-stock-thresholds", operation_id="seller_low_stock_thresholds_list")
    async def list_thresholds(
        self, principal: SellerPrincipal, limit: Limit = DEFAULT_LIMIT, cursor: str | None = None
    ) -> Page[ThresholdOut]:
        """Your variants' low-stock thresholds, with what each can sell now."""
        return await reads.list_thresholds(principal.seller_id, limit, cursor)

    @put("/variants/{variant_id:str}/low-stock-threshold", operation_id="seller_low_stock_threshold_set",
         opt=CATALOG_WRITE)  # fmt: skip
    async def set_threshold(self, variant_id: str, data: ThresholdIn, principal: SellerPrincipal) -> ThresholdOut:
        """Be told (once per fall) when the variant's sellable stock falls to `threshold` or below."""
        row = await alerts.set_threshold(principal.seller_id, variant_id, data.threshold)
        assert row is not None
        return threshold_out(row)

    @delete("/variants/{variant_id:str}/low-stock-threshold", operation_id="seller_low_stock_threshold_delete",
            opt=CATALOG_WRITE, status_code=204)  # fmt: skip
    async def delete_threshold(self, variant_id: str, principal: SellerPrincipal) -> None:
        """Stop low-stock messages for the variant."""
        await alerts.set_threshold(principal.seller_id, variant_id, None)


class UnsubscribeController(Controller):
    """The link every email of an optional kind carries (signed; no sign-in needed)."""

    path = "/api/v1/unsubscribe"
    tags = ["storefront: account"]

    @get("/", operation_id="notifications_unsubscribe_link", opt={PROBLEMS: ("not_found",)})
    async def unsubscribe_link(self, token: str, resources: ResourcesDep) -> UnsubscribedOut:
        """Turn off the kind of message the emailed link names, for its recipient."""
        return await _unsubscribe(token, resources)

    @post("/", operation_id="notifications_unsubscribe_one_click", status_code=200, opt={PROBLEMS: ("not_found",)})
    async def unsubscribe_one_click(self, token: str, resources: ResourcesDep) -> UnsubscribedOut:
        """The same, as mail clients' one-click unsubscribe (RFC 8058 `List-Unsubscribe-Post`)."""
        return await _unsubscribe(token, resources)


async def _unsubscribe(token: str, resources: ResourcesDep) -> UnsubscribedOut:
    done = await service.unsubscribe(resources.settings.secret_key, token)
    if done is None:
        raise NotFound("This unsubscribe link is not valid.")
    return UnsubscribedOut(done[1])


class AdminNotificationController(Controller):
    """The delivery log for operators: what was sent to whom (masked), and the parked or unknown deliveries to
    retry."""

    path = "/admin/v1/notification-deliveries"
    tags = ["admin: notifications"]
    dependencies = {"operator": Provide(provide_operator)}

    @get("/", operation_id="admin_notification_deliveries_list")
    async def list_deliveries(
        self,
        operator: OperatorPrincipal,
        status: DeliveryStatus | None = None,
        recipient: str | None = None,
        order_id: str | None = None,
        kind: str | None = None,
        limit: Limit = DEFAULT_LIMIT,
        cursor: str | None = None,
    ) -> Page[DeliveryOut]:
        """Deliveries, newest first; `status=parked` or `status=unknown` (perhaps sent) lists those for an operator."""
        return await reads.list_deliveries(status, recipient, order_id, kind, limit, cursor)

    @get("/{delivery_id:str}", operation_id="admin_notification_deliveries_get")
    async def get_delivery(self, delivery_id: str, operator: OperatorPrincipal) -> DeliveryOut:
        """One delivery."""
        return await reads.get_delivery(delivery_id)

    @post("/{delivery_id:str}/retry", operation_id="admin_notification_deliveries_retry", status_code=200,
          opt={PROBLEMS: ("delivery_not_parked",)})  # fmt: skip
    async def retry(self, delivery_id: str, operator: OperatorPrincipal) -> DeliveryOut:
        """Send a parked or unknown delivery again, its attempts counted afresh (audited)."""
        await delivery.retry_parked(delivery_id, f"operator:{operator.operator_id}")
        return await reads.get_delivery(delivery_id)
