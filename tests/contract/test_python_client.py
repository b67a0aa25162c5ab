"""A Python client generated from `/schema/openapi.json` with openapi-python-client, with no warning, runs the buyer's
and the seller's flows against the served app through its typed functions and models only
(`raise_on_unexpected_status`: an answer the document does not list raises)."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from types import ModuleType
from typing import Any

import httpx
import pytest

from market.core.db import fetch
from market.core.resources import Resources
from tests.buyers import PASSWORD as BUYER_PASSWORD
from tests.contract.python_client import Operations, answer, body, enum_member, generate
from tests.contract.served import ServedApp
from tests.contract.shops import PASSWORD, Shops, two_shops
from tests.factories import product_body
from tests.shoppers import HANOI, HOAN_KIEM

QUOTES = ("/api/v1/shipping/quotes", "post")
Drain = Callable[[], Awaitable[None]]


@pytest.fixture(scope="module")
def generated(document: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> tuple[ModuleType, list[str]]:
    return generate(document, tmp_path_factory.mktemp("python-client"))


@pytest.fixture
def ops(generated: tuple[ModuleType, list[str]]) -> Operations:
    return Operations(generated[0])


def test_the_generator_has_no_warning(generated: tuple[ModuleType, list[str]]) -> None:
    warnings = generated[1]
    assert warnings == [], "\n\n".join(warnings)


async def search_until_found(ops: Operations, anonymous: Any, words: str, slugs: set[str]) -> Any:
    for _ in range(300):  # the indexer is elected through a Redis lease: it may take a few seconds to start
        result = answer(await ops.search_products.asyncio_detailed(client=anonymous, q=words), 200)
        if slugs <= {hit.slug for hit in result.hits}:
            return result
        await asyncio.sleep(0.1)
    raise AssertionError(f"search for {words!r} never found {slugs}")


async def buyer_flow(package: ModuleType, ops: Operations, served: ServedApp, shops: Shops,
                     document: dict[str, Any]) -> tuple[Any, Any]:  # fmt: skip
    """Categories, search, product detail, register (mobile bearer), a cart from two sellers, a shipping quote (when
    the document has the endpoint), checkout with COD and an Idempotency-Key, the order, its tracking."""
    anonymous = package.Client(base_url=served.base_url, raise_on_unexpected_status=True)
    tree = answer(await ops.storefront_categories.asyncio_detailed(client=anonymous), 200)
    assert "trai-cay" in {category.slug for category in tree}
    await search_until_found(ops, anonymous, shops.search_words, {shop.product_slug for shop in shops.shops})
    for shop in shops.shops:
        product = answer(await ops.storefront_products_get.asyncio_detailed(client=anonymous, slug=shop.product_slug),
                         200)  # fmt: skip
        assert shop.variant_id in {variant.id for variant in product.variants}
    registration = body(
        ops.buyer_register,
        {
            "identifier": f"hoa{uuid.uuid4().hex[:8]}@example.vn",
            "name": "Phạm Thị Hoa",
            "password": BUYER_PASSWORD,
            "client": "mobile",
        },
    )
    registered = answer(await ops.buyer_register.asyncio_detailed(client=anonymous, body=registration), 201)
    buyer = package.AuthenticatedClient(base_url=served.base_url, token=registered.session.token,
                                        raise_on_unexpected_status=True)  # fmt: skip
    for shop in shops.shops:
        line = body(ops.cart_lines_add, {"variant_id": shop.variant_id, "quantity": 2})
        added = answer(await ops.cart_lines_add.asyncio_detailed(client=buyer, body=line), 201)
        assert added.quantity == 2
    cart = answer(await ops.cart_get.asyncio_detailed(client=buyer), 200)
    assert {group.seller.id for group in cart.groups} == {shop.seller_id for shop in shops.shops}
    quoted = await shipping_quote(ops, buyer, document)
    placing = body(ops.checkout, {"payment_method": "cod", "shipping_address": shops.address,
                                  "contact": {"phone": "0912345678", "email": "hoa@example.vn"}})  # fmt: skip
    key = str(uuid.uuid4())
    order = answer(await ops.checkout.asyncio_detailed(client=buyer, body=placing, idempotency_key=key), 201)
    assert len(order.seller_orders) == 2 and order.payment.method == "cod"
    if quoted is not None:
        assert quoted.shipping_fee == order.shipping_fee  # the quote is what checkout charged
    replayed = answer(await ops.checkout.asyncio_detailed(client=buyer, body=placing, idempotency_key=key), 201)
    assert replayed.id == order.id
    read = answer(await ops.orders_get.asyncio_detailed(client=buyer, order_id=order.id), 200)
    assert (read.id, read.total) == (order.id, order.total)
    answer(await ops.orders_tracking.asyncio_detailed(client=buyer, order_id=order.id), 200)
    return buyer, order


async def shipping_quote(ops: Operations, buyer: Any, document: dict[str, Any]) -> Any:
    """`POST /api/v1/shipping/quotes` for the buyer's cart to Hoàn Kiếm, Hà Nội: one parcel per seller."""
    path, method = QUOTES
    operation_id = document["paths"].get(path, {}).get(method, {}).get("operationId")
    if operation_id is None:
        return None
    operation = getattr(ops, operation_id)
    asked = body(operation, {"destination": {"province_code": HANOI, "ward_code": HOAN_KIEM}, "payment_method": "cod"})
    quote = answer(await operation.asyncio_detailed(client=buyer, body=asked), 200)
    assert quote.deliverable and len(quote.sellers) == 2
    return quote


async def seller_flow(package: ModuleType, ops: Operations, served: ServedApp, shops: Shops, drain: Drain) -> Any:
    """Sign in, create a product and a variant, list the orders to pack, start packing one and pack it."""
    anonymous = package.Client(base_url=served.base_url, raise_on_unexpected_status=True)
    shop = shops.shops[0]
    credentials = body(ops.seller_login, {"identifier": shop.owner_identifier, "password": PASSWORD})
    session = answer(await ops.seller_login.asyncio_detailed(client=anonymous, body=credentials), 201)
    seller = package.AuthenticatedClient(base_url=served.base_url, token=session.token,
                                         raise_on_unexpected_status=True)  # fmt: skip
    draft = product_body(name="Bánh tráng phơi sương Trảng Bàng", category="banh-trang")
    created = answer(await ops.seller_products_create.asyncio_detailed(
        client=seller, body=body(ops.seller_products_create, draft)), 201)  # fmt: skip
    variant = body(ops.seller_variants_create, {"sku": f"BT-{uuid.uuid4().hex[:6]}", "unit": "túi",
                                                 "unit_size": "túi 500 g", "price": 45_000, "weight_g": 550,
                                                 "stock": 30})  # fmt: skip
    with_variant = answer(await ops.seller_variants_create.asyncio_detailed(
        client=seller, product_id=created.id, body=variant), 201)  # fmt: skip
    assert variant.sku in {added.sku for added in with_variant.variants}
    confirmed = enum_member(ops.seller_orders_list, "status", "confirmed")
    page = answer(await ops.seller_orders_list.asyncio_detailed(client=seller, status=confirmed), 200)
    to_pack = [seller_order for seller_order in page.data if seller_order.seller_id == shop.seller_id]
    assert len(to_pack) == 1
    started = answer(await ops.seller_orders_start_packing.asyncio_detailed(
        client=seller, seller_order_id=to_pack[0].id), 200)  # fmt: skip
    assert started.status == "packing"
    packed = answer(
        await ops.seller_orders_pack.asyncio_detailed(
            client=seller, seller_order_id=to_pack[0].id, body=body(ops.seller_orders_pack, {"lines": []})
        ),
        200,
    )
    assert packed.status == "packed"
    await drain()  # seller_order.packed opens the parcel
    return packed


async def test_buyer_and_seller_flows_through_the_generated_python_client(
    generated: tuple[ModuleType, list[str]], ops: Operations, served: ServedApp, document: dict[str, Any],
    client: httpx.AsyncClient, categories: None, operator: str, worker: Drain, carrier_sim: Any, resources: Resources,
) -> None:  # fmt: skip
    package = generated[0]
    shops = await two_shops(client, operator, worker, resources)
    buyer, order = await buyer_flow(package, ops, served, shops, document)
    packed = await seller_flow(package, ops, served, shops, worker)
    parcels = answer(await ops.orders_tracking.asyncio_detailed(client=buyer, order_id=order.id), 200)
    assert packed.id in {parcel.seller_order_id for parcel in parcels.data}
    stored = await fetch("SELECT status FROM seller_order WHERE order_id = $1 ORDER BY status", order.id)
    assert [row["status"] for row in stored] == ["confirmed", "packed"]
    if QUOTES[0] not in document["paths"]:
        pytest.skip("POST /api/v1/shipping/quotes is not in the document yet: the buyer flow ran without its quote")
