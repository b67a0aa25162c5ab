"""Shipping quotes at checkout: the carrier's (cached), shelf life respected, the table when the carrier fails."""

from __future__ import annotations

import time
from typing import Any

import httpx

from market.core.resources import Resources
from market.shipping.registry import quoter_for
from tests.buyers import mobile_buyer, seller_with_products
from tests.fakes.carrier import CarrierSim
from tests.shoppers import checkout, fill_cart, variant_ids


async def order_of(client: httpx.AsyncClient, operator: str, shelf_life_days: int) -> httpx.Response:
    """A buyer in Hà Nội orders 1 kg from Tây Ninh (across regions) of a product with this shelf life."""
    shop = await seller_with_products(client, operator, [{"shelf_life_days": shelf_life_days}])
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(variant_ids(shop["products"][0])[0], 1)])
    return await checkout(client, buyer["headers"])


async def test_quotes_come_from_the_carrier_and_are_cached(
    client: httpx.AsyncClient, operator: str, categories: None, carrier_sim: CarrierSim, resources: Resources
) -> None:
    response = await order_of(client, operator, shelf_life_days=30)

    assert response.status_code == 201, response.text
    sor = response.json()["seller_orders"][0]
    # 1,050 g across regions: 32,000 đ + 6,000 đ for the started 500 g; the standard parcel, 5 days.
    assert (sor["shipping_service"], sor["shipping_fee"], sor["transit_days"]) == ("BUU_KIEN", 38_000, 5)
    cached = [key async for key in resources.redis.scan_iter(match=f"{resources.settings.redis_key_prefix}quote:*")]
    assert cached == [f"{resources.settings.redis_key_prefix}quote:80:1:3:1"]


async def test_services_slower_than_the_shelf_life_are_not_offered(
    client: httpx.AsyncClient, operator: str, categories: None, carrier_sim: CarrierSim
) -> None:
    express = await order_of(client, operator, shelf_life_days=3)
    impossible = await order_of(client, operator, shelf_life_days=2)

    assert express.status_code == 201, express.text
    sor = express.json()["seller_orders"][0]
    assert (sor["shipping_service"], sor["shipping_fee"], sor["transit_days"]) == ("EMS", 57_000, 3)
    assert impossible.status_code == 409
    assert impossible.json()["code"] == "no_shipping_service" and impossible.json()["shelf_life_days"] == 2


async def test_a_slow_carrier_never_holds_checkout(
    client: httpx.AsyncClient, operator: str, categories: None, carrier_sim: CarrierSim, resources: Resources
) -> None:
    quoter = quoter_for(resources.settings, resources.redis)
    quoter.failures, quoter.open_until = 0, 0.0
    carrier_sim.faults(mode="slow", delay_s=3)
    timings: list[float] = []
    answers: list[dict[str, Any]] = []
    for _ in range(5):
        started = time.monotonic()
        response = await order_of(client, operator, shelf_life_days=30)
        timings.append(time.monotonic() - started)
        assert response.status_code == 201, response.text
        answers.append(response.json()["seller_orders"][0])

    assert all(sor["shipping_fee"] == 38_000 for sor in answers)  # the published table, when the carrier is slow
    assert quoter.open_until > time.monotonic()  # paused after three slow answers: the others did not ask
    assert max(timings) < 3
    quoter.failures, quoter.open_until = 0, 0.0
