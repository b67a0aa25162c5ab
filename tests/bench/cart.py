"""What the cart scenarios need: a variant that never runs out, and a guest cart token.

`cart_add` POSTs the same line again and again (wrk sends one fixed body), so its variant has a fixed id, no
maximum per order and a billion units in stock; each run starts a new guest cart. Rows are written straight into
PostgreSQL (idempotently), like tests/bench/load.py: this measures the cart, not seller onboarding.
"""

from __future__ import annotations

import json
import sys

import asyncpg

from market.cart.tokens import new_guest_cart
from market.settings import Settings

CART_VARIANT_ID = "var_0000000000bench0cart0var00"
_SELLER_ID = "sel_0000000000bench0cart0sel00"
_PRODUCT_ID = "prd_0000000000bench0cart0prd00"
STOCK = 1_000_000_000
CART_LINE_BODY = json.dumps({"variant_id": CART_VARIANT_ID, "quantity": 1})


async def cart_context(settings: Settings) -> dict[str, str]:
    """{"cart_token"}: a new guest cart, after making sure the bench variant exists with its stock restored."""
    connection = await asyncpg.connect(settings.database_url)
    try:
        category = await connection.fetchval("SELECT id FROM category ORDER BY path LIMIT 1")
        if category is None:  # an empty database (the CI smoke): the cart scenarios cannot run, the others can
            print("[bench] no categories: cart_add needs `market seed` (deploy/dev run) first", file=sys.stderr)
            return {"cart_token": new_guest_cart(settings.secret_key)[1]}
        pickup = json.dumps({"street": "Ấp 1", "ward_code": 25708, "province_code": 80, "contact_name": "Bench",
                             "phone": "+84912000001"})  # fmt: skip
        async with connection.transaction():
            await connection.execute(
                "INSERT INTO seller (id, kind, display_name, slug, legal_name, tax_code, phone, email, province_code, "
                "ward_code, pickup_address, description, status, status_reason, version, created_at, updated_at) "
                "VALUES ($1, 'cooperative', 'HTX Giỏ hàng', 'bench-cart-seller', 'HTX Giỏ hàng', NULL, "
                "'+84912000001', NULL, 80, 25708, $2, '', 'approved', NULL, 1, now(), now()) "
                "ON CONFLICT (id) DO NOTHING",
                _SELLER_ID, pickup,
            )  # fmt: skip
            await connection.execute(
                "INSERT INTO product (id, seller, category, name, slug, description, origin_province_code, "
                "origin_ward_code, origin_farm, images, storage, shelf_life_days, status, rejection_reason, version, "
                "created_at, updated_at) VALUES ($1, $2, $3, 'Mía Tây Ninh (bench)', 'bench-cart-product', '', 80, "
                "NULL, NULL, '[]', 'ambient', 30, 'active', NULL, 1, now(), now()) ON CONFLICT (id) DO NOTHING",
                _PRODUCT_ID, _SELLER_ID, category,
            )  # fmt: skip
            await connection.execute(
                "INSERT INTO variant (id, product, seller, sku, sku_key, unit, unit_size, price, compare_at_price, "
                "weight_g, catch_weight, tolerance_percent, min_per_order, max_per_order, preorder_opens_on, "
                "harvest_from, harvest_to, status, position, created_at, updated_at) VALUES ($1, $2, $3, 'BENCH-CART', "
                "$4, 'bó', 'bó 10 cây', 45000, NULL, 8000, false, NULL, 1, NULL, NULL, NULL, NULL, 'active', 0, "
                "now(), now()) ON CONFLICT (id) DO NOTHING",
                CART_VARIANT_ID, _PRODUCT_ID, _SELLER_ID, f"{_SELLER_ID}:BENCH-CART",
            )  # fmt: skip
            await connection.execute(
                "INSERT INTO stock_level (variant_id, on_hand, reserved, preorder_capacity, preorder_reserved, "
                "updated_at) VALUES ($1, $2, 0, NULL, 0, now()) "
                "ON CONFLICT (variant_id) DO UPDATE SET on_hand = $2, reserved = 0",
                CART_VARIANT_ID, STOCK,
            )  # fmt: skip
    finally:
        await connection.close()
    _, token = new_guest_cart(settings.secret_key)
    return {"cart_token": token}
