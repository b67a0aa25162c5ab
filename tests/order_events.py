"""What the property tests over whole order histories share (tests/api/test_order_invariants.py and
test_ledger_invariants.py): the two sellers' plentiful variants, the order they place, and the events both apply
to one of its seller orders."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from market.core import clock
from market.orders.jobs import complete_seller_orders
from market.settings import Settings
from tests.fakes.carrier import CarrierSim
from tests.fakes.stripe import FakeStripe
from tests.orders_flow import Drain, Placed, pack, pay, place, read, ship
from tests.shoppers import variant_ids

PLENTY = [
    {"sku": "KG", "unit": "kg", "unit_size": "1 kg", "price": 65_000, "weight_g": 1050, "stock": 10_000,
     "catch_weight": True, "tolerance_percent": 10},
    {"sku": "THUNG", "unit": "thùng", "unit_size": "thùng 5 kg", "price": 300_000, "weight_g": 5400, "stock": 10_000},
]  # fmt: skip
"""One product's variants, 1 kg (catch weight) and a 5 kg box, with plenty of stock (add a per-seller sku suffix)."""


async def place_paid(
    client: httpx.AsyncClient, shops: list[dict[str, Any]], operator: str, method: str, settings: Settings,
    stripe_fake: FakeStripe, drain: Drain,
) -> Placed:  # fmt: skip
    """Two kilograms from each shop and a box from the first, checked out with `method` (a card order paid)."""
    items = [(variant_ids(shop["products"][0])[0], 2) for shop in shops]
    items.append((variant_ids(shops[0]["products"][0])[1], 1))
    placed = await place(client, shops, items, operator, payment_method=method)
    if method == "card":
        await pay(client, placed, settings, stripe_fake, drain)
    return placed


async def status_of(client: httpx.AsyncClient, placed: Placed, index: int) -> str:
    return str((await read(client, placed))["seller_orders"][index]["status"])


async def apply_common(
    client: httpx.AsyncClient, placed: Placed, event: tuple[str, int, int], status: str, settings: Settings,
    carrier_sim: CarrierSim, drain: Drain,
) -> None:  # fmt: skip
    """One of the shared events (pack, deliver, send_back, cancel, refund, window_ends) when the seller order at
    `status` is where it can happen; an illegal move must be a clean 409. Other kinds do nothing here."""
    kind, index, arg = event
    seller_order = placed.seller_orders[index]
    if kind == "pack" and status == "confirmed":
        await pack(client, placed, seller_order, arg)
    elif kind in ("deliver", "send_back") and status == "packed":
        await ship(client, seller_order["id"], settings, carrier_sim, drain,
                   ends="delivered" if kind == "deliver" else "returned")  # fmt: skip
    elif kind == "cancel":
        path = f"/api/v1/orders/{placed.id}/seller-orders/{seller_order['id']}/cancel"
        answer = await client.post(path, json={"reason": "đổi ý"}, headers=placed.buyer["headers"])
        assert answer.status_code in (200, 409), answer.text
    elif kind == "refund":
        answer = await client.post(f"/admin/v1/seller-orders/{seller_order['id']}/refund",
                                   json={"reason": "khiếu nại"}, headers=placed.operator)  # fmt: skip
        assert answer.status_code in (200, 409), answer.text
    elif kind == "window_ends":
        with clock.travel(timedelta(days=settings.return_window_days + 1)):
            await complete_seller_orders({})
