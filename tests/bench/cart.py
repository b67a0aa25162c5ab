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
from tests.bench.rows import ensure_product, ensure_seller, ensure_variants, first_category

CART_VARIANT_ID = "var_0000000000bench0cart0var00"
_SELLER_ID = "sel_0000000000bench0cart0sel00"
_PRODUCT_ID = "prd_0000000000bench0cart0prd00"
STOCK = 1_000_000_000
CART_LINE_BODY = json.dumps({"variant_id": CART_VARIANT_ID, "quantity": 1})


async def cart_context(settings: Settings) -> dict[str, str]:
    """{"cart_token"}: a new guest cart, after making sure the bench variant exists with its stock restored."""
    connection = await asyncpg.connect(settings.database_url)
    try:
        category = await first_category(connection)
        if category is None:  # an empty database (the CI smoke): the cart scenarios cannot run, the others can
            print("[bench] no categories: cart_add needs `market seed` (deploy/dev run) first", file=sys.stderr)
            return {"cart_token": new_guest_cart(settings.secret_key)[1]}
        async with connection.transaction():
            await ensure_seller(connection, _SELLER_ID, "bench-cart-seller")
            await ensure_product(connection, _PRODUCT_ID, _SELLER_ID, category, "Mía Tây Ninh (bench)",
                                 "bench-cart-product")  # fmt: skip
            await ensure_variants(connection, _PRODUCT_ID, _SELLER_ID, [(CART_VARIANT_ID, STOCK)], 45_000)
    finally:
        await connection.close()
    _, token = new_guest_cart(settings.secret_key)
    return {"cart_token": token}
