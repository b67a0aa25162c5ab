"""The demo's month of money: cash-on-delivery orders of the last calendar month for the first demo sellers, taken
through the real services (checkout's statement, packing with catch weights, the carrier's delivery or return, the
carrier's remittance, an operator's refund, completion after the return window), each step on its own day of the
month (the clock is set to it), and their events posted by the ledger's own handlers on that day. So `deploy/dev
run` shows balances (pending and available), entries across the month and a tax report for it.

The demo's events are delivered to the ledger's handlers only and then marked delivered: the worker must not replay
a month-old history against the carrier simulator (parcels) or the card processor. `seed_month` is idempotent (a
second run finds the demo buyer's orders and does nothing).
"""

from __future__ import annotations

import importlib
import random
from datetime import date, datetime, time, timedelta
from typing import Any

from market.catalog.reads import sale_variants
from market.checkout.service import PLACE_SQL, Draft, _place_args
from market.core import clock
from market.core.db import fetch, transaction
from market.core.events import Event, HandlerRegistry, registry
from market.core.ids import new_id
from market.core.outbox.delivery import deliver
from market.orders import lifecycle
from market.orders import service as orders
from market.orders.drafts import Bought, Part, Placing, ShippingAddress, draft_order
from market.shipping.quotes import Chosen

DEMO_BUYER_EMAIL = "nguoi-mua-demo@market.example"
SELLERS = 6
"""The demo sellers (in the order `market.demo` registers them) that get a month of orders."""


def _ledger_registry() -> HandlerRegistry:
    """The ledger's handlers alone (the demo's history is applied to the ledger, and to nothing else)."""
    importlib.import_module("market.ledger.jobs")  # registers them
    only = HandlerRegistry()
    for kind in sorted(registry._by_type):
        for handler in registry.handlers_for(kind):
            if handler.name.startswith("ledger."):
                only.on(kind, name=handler.name, transactional=handler.transactional)(handler.fn)
    return only


async def _post_pending(handlers: HandlerRegistry, order_ids: list[str]) -> None:
    rows = await fetch(
        "SELECT event_id, type, payload::text AS payload FROM outbox_event WHERE delivered_at IS NULL "
        "AND payload->>'order_id' = ANY($1::varchar[]) ORDER BY id",
        order_ids,
    )
    for row in rows:
        await deliver(handlers, Event.from_job(row["event_id"], row["type"], row["payload"]))


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=clock.VIETNAM)


async def _place(seller_id: str, variant_ids: list[str], rng: random.Random) -> tuple[str, str] | None:
    """A COD order of one seller's variants, written by checkout's own statement; (order id, seller order id)."""
    variants = await sale_variants(variant_ids)
    items = [Bought(variants[v], rng.randint(1, 3)) for v in variant_ids
             if v in variants and variants[v].on_sale and not variants[v].on_preorder]  # fmt: skip
    if not items:
        return None
    weight = sum(item.variant.weight_g * item.quantity for item in items)
    address = ShippingAddress(recipient_name="Trần Thị Hoa", phone="0912345678", street="12 Nguyễn Trãi",
                              ward_code=25708, province_code=80)  # fmt: skip
    placing = Placing(account_id=None, guest_cart_id=new_id("crt"), actor="guest:demo", email=DEMO_BUYER_EMAIL,
                      phone="0912345678", address=address, payment_method="cod", cod=True,
                      reserved_until=None)  # fmt: skip
    shipping = Chosen(service="BUU_KIEN", fee=32_000, transit_days=5, zone="national", source="table")
    draft = Draft(draft_order(placing, [Part(seller_id, items, shipping, weight)], clock.now()), [])
    placed = await fetch(PLACE_SQL, *_place_args(draft, f"demo:{draft.order.order.id}", "demo", None))
    if not placed[0]["claimed"]:
        return None  # that stock ran out (a small demo catalogue): no order today
    return draft.order.order.id, draft.order.seller_orders[0].id


async def _catch_weights(seller_order_id: str, rng: random.Random) -> dict[str, int]:
    lines = await fetch("SELECT id, quantity, weight_g FROM order_line WHERE seller_order = $1 AND catch_weight",
                        seller_order_id)  # fmt: skip
    return {row["id"]: row["quantity"] * row["weight_g"] * rng.choice([96, 100, 104]) // 100 for row in lines}


async def _life(seller_order_id: str, placed: date, fate: str, rng: random.Random, window_days: int,
                post: Any) -> None:  # fmt: skip
    """Move one seller order through its month, each step on its day, its events posted then (`post()`)."""
    seller = orders.OPERATOR
    with clock.frozen_at(_at(placed, 15)):
        await orders.start_packing(seller_order_id, "seller:demo", seller)
        await orders.pack(seller_order_id, "seller:demo", seller, await _catch_weights(seller_order_id, rng))
        await post()
    [row] = await fetch("SELECT cod_amount, order_id FROM seller_order WHERE id = $1", seller_order_id)
    arrival = placed + timedelta(days=2)
    with clock.frozen_at(_at(arrival, 10)):
        async with transaction():
            if fate == "sent_back":
                await orders.follow_carrier(seller_order_id, "returned", "carrier", "Người nhận không nghe máy", 0,
                                            "", clock.now())  # fmt: skip
            else:
                await orders.follow_carrier(seller_order_id, "delivered", "carrier", None, row["cod_amount"],
                                            f"DEMO{seller_order_id[-8:]}", clock.now())  # fmt: skip
        await post()
    if fate == "sent_back":
        return
    if fate == "refunded":
        with clock.frozen_at(_at(arrival + timedelta(days=1), 11)):
            await orders.refund(seller_order_id, "operator:demo", "Hàng bị dập khi giao")
            await post()
        return
    if fate != "unremitted":
        remitted = arrival + timedelta(days=rng.randint(2, 6))
        with clock.frozen_at(_at(remitted, 16)):
            async with transaction():
                await orders.record_cod_remitted(seller_order_id, row["cod_amount"], 12_000,
                                                 f"COD-DEMO-{remitted:%m%d}")  # fmt: skip
            await post()
    completed = arrival + timedelta(days=window_days + 1)
    if completed < clock.today():
        with clock.frozen_at(_at(completed, 0) + timedelta(minutes=15)):
            await lifecycle.complete_due(window_days)
            await post()


async def seed_month(window_days: int = 3) -> dict[str, int]:
    """A month of COD orders for the first demo sellers (idempotent, in one transaction); returns how many orders
    and entries."""
    async with transaction():
        return await _seed_month(window_days)


async def _seed_month(window_days: int) -> dict[str, int]:
    if await fetch("SELECT 1 FROM orders WHERE email = $1 LIMIT 1", DEMO_BUYER_EMAIL):
        return {"orders": 0, "entries": 0}
    rng = random.Random(117)  # noqa: S311 - reproducible demo data
    first = clock.today().replace(day=1)
    month = (first - timedelta(days=1)).replace(day=1)  # the last calendar month, whole
    sellers = await fetch(
        "SELECT s.id, array_agg(v.id ORDER BY v.id) AS variants FROM seller s JOIN product p ON p.seller = s.id "
        "JOIN variant v ON v.product = p.id WHERE s.email LIKE 'demo%@market.example' AND s.status = 'approved' "
        "GROUP BY s.id, s.created_at ORDER BY s.created_at, s.id LIMIT $1",
        SELLERS,
    )
    handlers = _ledger_registry()
    made: list[str] = []
    fates = ["completed"] * 6 + ["unremitted", "sent_back", "refunded"]
    for offset in range(0, 26, 2):
        day = month + timedelta(days=offset)
        for seller in sellers:
            with clock.frozen_at(_at(day, 9)):
                placed = await _place(
                    seller["id"], rng.sample(list(seller["variants"]), min(2, len(seller["variants"]))), rng
                )
                if placed is None:
                    continue
                order_id, seller_order_id = placed
                await _post_pending(handlers, [order_id])

            async def post(order_id: str = order_id) -> None:
                await _post_pending(handlers, [order_id])

            await _life(seller_order_id, day, rng.choice(fates), rng, window_days, post)
            made.append(order_id)
    entries = await fetch("SELECT count(*) AS n FROM ledger_entry WHERE seller_id = ANY($1::varchar[])",
                          [seller["id"] for seller in sellers])  # fmt: skip
    return {"orders": len(made), "entries": int(entries[0]["n"])}


__all__: list[Any] = ["seed_month"]
