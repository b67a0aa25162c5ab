"""Whatever happens to an order, its figures agree: a property test over random sequences of events (checkout, pack
lighter or heavier, cancel a seller order, delivery, a parcel sent back, an operator's refund, the return window's
end), checked after every event through the API, against the carrier simulator and the fake Stripe.

After every event, as the buyer and the operator read it:
- `total == sum(seller_order.total)`, `subtotal == sum(final or ordered subtotals)`, `total == subtotal + shipping`,
  and the stored `orders.total` agrees;
- the payment's `amount` is what the parts not cancelled, sent back or refunded cost;
- cash on delivery: each live part's `cod_amount` is its total and the carrier's parcel asks for that amount;
  `paid_amount` is the cash the carrier collected;
- card: `paid_amount - refunded_amount == amount` (every refund due has been executed at Stripe).
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from market.core.db import fetch
from market.orders.states import GONE
from market.settings import Settings
from tests.buyers import seller_with_products
from tests.fakes.carrier import CarrierSim
from tests.fakes.stripe import FakeStripe
from tests.order_events import PLENTY, apply_common, place_paid, status_of
from tests.orders_flow import Drain, Placed, read

EVENTS = st.one_of(
    st.tuples(st.just("pack"), st.integers(0, 1), st.sampled_from([90, 96, 100, 104, 110])),
    st.tuples(st.sampled_from(["cancel", "deliver", "send_back", "refund"]), st.integers(0, 1), st.just(0)),
    st.tuples(st.just("window_ends"), st.just(0), st.just(0)),
)


@pytest.fixture
async def shops(client: httpx.AsyncClient, operator: str, categories: None) -> list[dict[str, Any]]:
    """Two sellers with plenty of stock of 1 kg (catch weight) and a 5 kg box."""
    return [await seller_with_products(client, operator, [{"variants": [
        {**variant, "sku": f"{variant['sku']}-{n}"} for variant in PLENTY]}]) for n in range(2)]  # fmt: skip


async def apply(
    client: httpx.AsyncClient, placed: Placed, event: tuple[str, int, int], settings: Settings,
    carrier_sim: CarrierSim, drain: Drain,
) -> None:  # fmt: skip
    """One event, when the seller order is where it can happen (an illegal move must be a clean 409 or 422)."""
    status = await status_of(client, placed, event[1])
    await apply_common(client, placed, event, status, settings, carrier_sim, drain)
    await drain()


async def check(client: httpx.AsyncClient, placed: Placed, carrier_sim: CarrierSim) -> None:
    order = await read(client, placed)
    parts = order["seller_orders"]
    payment = order["payment"]
    assert order["total"] == sum(so["total"] for so in parts) == order["subtotal"] + order["shipping_fee"]
    assert order["subtotal"] == sum(so["subtotal"] if so["final_subtotal"] is None else so["final_subtotal"]
                                    for so in parts)  # fmt: skip
    stored = await fetch("SELECT subtotal, total FROM orders WHERE id = $1", placed.id)
    assert (stored[0]["subtotal"], stored[0]["total"]) == (order["subtotal"], order["total"])
    live = [so for so in parts if so["status"] not in GONE]
    assert payment["amount"] == sum(so["total"] for so in live)
    if payment["method"] == "cod":
        assert all(so["cod_amount"] == so["total"] for so in live)
        at_carrier = {p["order_code"]: p["cod_amount"] for p in carrier_sim.parcels()["parcels"]}
        assert all(at_carrier[so["id"]] == so["cod_amount"] for so in parts if so["id"] in at_carrier)
        assert payment["paid_amount"] == sum(so["cod_collected"] or 0 for so in parts)
    else:
        assert payment["paid_amount"] - payment["refunded_amount"] == payment["amount"], payment


@hypothesis_settings(max_examples=12, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(method=st.sampled_from(["cod", "card"]), events=st.lists(EVENTS, min_size=1, max_size=7))
@example(method="card", events=[("pack", 0, 96), ("send_back", 0, 0), ("refund", 0, 0)])  # refunded twice?
@example(method="card", events=[("pack", 1, 90), ("cancel", 1, 0), ("refund", 1, 0)])
@example(method="cod", events=[("pack", 0, 110), ("deliver", 0, 0), ("refund", 0, 0), ("window_ends", 0, 0)])
async def test_an_orders_figures_agree_after_every_event(
    client: httpx.AsyncClient, operator: str, shops: list[dict[str, Any]], settings: Settings,
    carrier_sim: CarrierSim, stripe_fake: FakeStripe, worker: Drain, method: str, events: list[tuple[str, int, int]],
) -> None:  # fmt: skip
    carrier_sim.reset()
    placed = await place_paid(client, shops, operator, method, settings, stripe_fake, worker)
    await check(client, placed, carrier_sim)
    for event in events:
        await apply(client, placed, event, settings, carrier_sim, worker)
        await check(client, placed, carrier_sim)
