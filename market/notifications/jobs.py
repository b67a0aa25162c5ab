"""Notification jobs of the worker: each event becomes queued messages (in the handler's transaction, so an event
delivered twice queues nothing twice), the sender loop sends them, and a daily cron warns of certifications
that end within 30 days.

"Out for delivery": the carrier model has one `in_transit` status (VNPost's 300 "in transit" and 400 "out for
delivery" both map to it), so the buyer's "on its way" message goes once, when the seller order enters in_transit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from market.core import clock
from market.core.events import Event, HandlerFn, registry
from market.core.loops import PollingLoop
from market.core.resources import current
from market.notifications import delivery, facts
from market.notifications.render import vnd
from market.notifications.service import Contact, configured, queue
from market.settings import Settings

EXPIRY_NOTICE_DAYS = 30


def _settings() -> Settings:
    return current().settings


async def _to_buyer(event: Event, kind: str, order_id: str, **data: Any) -> None:
    settings = _settings()
    if not configured(settings):
        return
    found = await facts.order(order_id)
    if found is None:
        return
    data.setdefault("amount", vnd(found["total"]))
    data.update(order_code=order_id, link=facts.link(settings, f"/orders/{order_id}"))
    await queue(settings, event.id, kind, facts.buyer_contact(found), data, order_id)


async def _to_seller(event: Event, kind: str, row: dict[str, Any], **data: Any) -> None:
    """To the seller of a seller order (`row` from `facts.seller_order`)."""
    settings = _settings()
    data = {"order_code": row["order_id"], "shop_name": row["display_name"], "amount": vnd(row["total"]),
            "link": facts.link(settings, f"/seller/orders/{row['id']}"), **data}  # fmt: skip
    await queue(settings, event.id, kind, facts.seller_contact(row), data, row["order_id"])


async def _seller_order_to_buyer(event: Event, kind: str, **data: Any) -> None:
    row = await facts.seller_order(event.payload["seller_order_id"])
    if row is not None:
        await _to_buyer(event, kind, row["order_id"], shop_name=row["display_name"],
                        tracking_code=row["tracking_code"] or "", amount=vnd(row["total"]), **data)  # fmt: skip


# Orders and payments ----------------------------------------------------------------------------------------


@registry.on("order.created", name="notifications.order_created")
async def order_created(event: Event) -> None:
    """The buyer's confirmation, and a new order for each seller (awaiting payment for a card order)."""
    order_id = event.payload["order_id"]
    await _to_buyer(event, "order_placed", order_id)
    for row in await facts.seller_orders_of(order_id):
        await _to_seller(event, "seller_new_order", row, pending_payment=row["status"] == "pending_payment")


@registry.on("order.paid", name="notifications.order_paid")
async def order_paid(event: Event) -> None:
    """Payment received (card or bank transfer): the buyer is told, and each seller may now pack."""
    order_id = event.payload["order_id"]
    found = await facts.order(order_id)
    method = found["payment_method"] if found else ""
    await _to_buyer(event, "payment_received", order_id, amount=vnd(event.payload["amount"]), method=method)
    for row in await facts.seller_orders_of(order_id):
        if row["status"] != "cancelled":
            await _to_seller(event, "seller_payment_received", row)


@registry.on("seller_order.delivery_failed", name="notifications.delivery_failed")
async def delivery_failed(event: Event) -> None:
    """The buyer learns the carrier will come back; the seller sees a parcel problem."""
    row = await facts.seller_order(event.payload["seller_order_id"])
    if row is None:
        return
    reason = row["status_reason"] or ""
    await _seller_order_to_buyer(event, "delivery_failed", reason=reason)
    await _to_seller(event, "seller_parcel_problem", row, problem=_problem("delivery_failed", row), detail=reason)


async def _refunded(event: Event) -> None:
    """A refund executed (of a seller order, or of an accepted return): the buyer is told the amount."""
    await _to_buyer(event, "order_refunded", event.payload["order_id"], amount=vnd(event.payload["amount"]))


async def _return_decided(event: Event, accepted: bool) -> None:
    words = {True: ("chấp nhận", "chap nhan", "accepted"), False: ("từ chối", "tu choi", "refused")}[accepted]
    settings = _settings()
    found = await facts.order(event.payload["order_id"])
    if found is None or not configured(settings):
        return
    prefs_en = (await _language(facts.buyer_contact(found))) == "en"
    data = {"order_code": found["id"], "amount": vnd(found["total"]), "accepted": accepted,
            "decision": words[2] if prefs_en else words[0], "decision_ascii": words[1],
            "reason": event.payload.get("reason") or "",
            "link": facts.link(settings, f"/returns/{event.payload['return_id']}")}  # fmt: skip
    await queue(settings, event.id, "return_decided", facts.buyer_contact(found), data, found["id"])


async def _language(contact: Contact) -> str:
    from market.notifications.service import preferences

    return (await preferences(contact.id)).language


@registry.on("seller_order.cancelled", name="notifications.cancelled")
async def cancelled(event: Event) -> None:
    """Only a buyer's cancellation is news to the seller (the seller's own, or an expired payment, is not)."""
    if not str(event.payload.get("actor", "")).startswith("customer:"):
        return
    row = await facts.seller_order(event.payload["seller_order_id"])
    if row is not None:
        await _to_seller(event, "seller_order_cancelled", row, reason=event.payload.get("reason") or "")


# Sellers' other news ------------------------------------------------------------------------------------------


def _problem(what: str, row: dict[str, Any]) -> str:
    return {"delivery_failed": "giao hàng không thành công / delivery failed",
            "parked": "chưa tạo được vận đơn tại bưu điện / the carrier did not take the parcel"}[what]  # fmt: skip


@registry.on("parcel.parked", name="notifications.parcel_parked")
async def parcel_parked(event: Event) -> None:
    """The carrier kept refusing a parcel: its seller hears of it (operators retry it)."""
    seller_order_id = event.payload.get("seller_order_id")
    row = await facts.seller_order(seller_order_id) if seller_order_id else None
    if row is not None:
        await _to_seller(event, "seller_parcel_problem", row, problem=_problem("parked", row),
                         detail=str(event.payload.get("error") or "")[:200])  # fmt: skip


async def _to_shop(event: Event, kind: str, seller_id: str, path: str, **data: Any) -> None:
    settings = _settings()
    shop = await facts.seller(seller_id)
    if shop is None:
        return
    data = {"shop_name": shop["display_name"], "link": facts.link(settings, path), **data}
    await queue(settings, event.id, kind, facts.seller_contact(shop), data)


async def _moderated(event: Event, kind: str) -> None:
    found = await facts.product(event.payload["product_id"])
    if found is not None:
        await _to_shop(event, kind, found["seller"], f"/seller/products/{found['id']}", product_name=found["name"],
                       reason=found["rejection_reason"] or "")  # fmt: skip


@registry.on("payout.paid", name="notifications.payout_paid")
async def payout_paid(event: Event) -> None:
    """`payout.paid` {payout_id, batch_id, seller_id, amount, reference} (track payouts): money sent."""
    payload = event.payload
    await _to_shop(event, "seller_payout_sent", payload["seller_id"], "/seller/payouts",
                   amount=vnd(int(payload["amount"])), reference=str(payload.get("reference") or ""))  # fmt: skip


@registry.on("webhook_endpoint.disabled", name="notifications.webhook_disabled")
async def webhook_disabled(event: Event) -> None:
    """`webhook_endpoint.disabled` {endpoint_id, seller_id, url} (track webhooks): its owner is told."""
    url = str(event.payload.get("url") or "")
    await _to_shop(event, "seller_webhook_disabled", event.payload["seller_id"], "/seller/webhooks",
                   endpoint_url=url, endpoint_host=urlsplit(url).hostname or url)  # fmt: skip


@registry.on("stock.updated", name="notifications.low_stock")
async def low_stock(event: Event) -> None:
    """A variant whose sellable stock fell to its threshold is told once; back above, it is armed again."""
    product_ids = list(event.payload.get("product_ids") or [])
    if not product_ids:
        return
    from market.notifications import alerts

    for alert in await facts.stock_alerts(product_ids):
        if await alerts.crossed(alert):
            await _to_shop(event, "seller_low_stock", alert["seller_id"], f"/seller/products/{alert['product_id']}",
                           product_name=alert["name"], sku=alert["sku"], available=alert["available"],
                           threshold=alert["threshold"])  # fmt: skip


def _calling(fn: Callable[..., Awaitable[None]], *args: Any) -> HandlerFn:
    """The handler that calls `fn(event, *args)`."""

    async def handler(event: Event) -> None:
        await fn(event, *args)

    return handler


# The handlers that differ only by what they pass on: (event type, handler name, function, its arguments).
SIMPLE_HANDLERS: list[tuple[str, str, Callable[..., Awaitable[None]], tuple[Any, ...]]] = [
    ("seller_order.packed", "packed", _seller_order_to_buyer, ("order_packed",)),
    ("seller_order.handed_over", "handed_over", _seller_order_to_buyer, ("order_handed_over",)),
    ("seller_order.in_transit", "in_transit", _seller_order_to_buyer, ("order_out_for_delivery",)),
    ("seller_order.delivered", "delivered", _seller_order_to_buyer, ("order_delivered",)),
    ("seller_order.returned", "returned", _seller_order_to_buyer, ("order_returned",)),
    ("seller_order.refunded", "seller_order_refunded", _refunded, ()),
    ("return.refunded", "return_refunded", _refunded, ()),
    ("return.accepted", "return_accepted", _return_decided, (True,)),
    ("return.refused", "return_refused", _return_decided, (False,)),
    ("product.rejected", "product_rejected", _moderated, ("seller_product_rejected",)),
    ("product.taken_down", "product_taken_down", _moderated, ("seller_product_taken_down",)),
]
for _event_type, _name, _fn, _args in SIMPLE_HANDLERS:
    registry.on(_event_type, name=f"notifications.{_name}")(_calling(_fn, *_args))


# The worker's loop and cron -----------------------------------------------------------------------------------


class SenderLoop(PollingLoop):
    """The worker's loop that sends due deliveries, holding the channels' clients (closed at shutdown)."""

    def __init__(self, settings: Settings, senders: delivery.Senders) -> None:
        self.senders = senders

        async def step() -> int:
            return await delivery.send_once(senders, settings)

        super().__init__("notification_sender", step, batch_size=settings.notify_batch_size, idle_s=0.2)


def sender_loop(settings: Settings) -> SenderLoop | None:
    """The sender loop (None when no channel is configured)."""
    senders = delivery.build_senders(settings)
    return SenderLoop(settings, senders) if senders.by_channel else None


async def warn_expiring_certifications(ctx: Any) -> int:
    """Daily SAQ cron (08:00 in Vietnam): each certification of a live product ending within 30 Vietnamese days is
    told to its seller once for that end date (a missed day is caught up by the next run)."""
    from market.core.db import transaction
    from market.notifications.service import queue as queue_message

    settings = _settings()
    today = clock.today()
    sent = 0
    for cert in await facts.expiring_certifications(today, today + timedelta(days=EXPIRY_NOTICE_DAYS)):
        shop = await facts.seller(cert["seller"])
        if shop is None:
            continue
        data = {"shop_name": shop["display_name"], "product_name": cert["name"], "certification": cert["type"],
                "number": cert["number"], "valid_until": cert["valid_until"].strftime("%d/%m/%Y"),
                "link": facts.link(settings, f"/seller/products/{cert['product_id']}")}  # fmt: skip
        async with transaction():
            event_id = f"cert:{cert['id']}:{cert['valid_until'].isoformat()}"
            if await queue_message(settings, event_id, "seller_certification_expiring", facts.seller_contact(shop),
                                   data):  # fmt: skip
                sent += 1
    return sent
