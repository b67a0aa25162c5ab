"""Catalog rows written straight into PostgreSQL (idempotently) for the benchmarks: they measure carts and checkout,
not seller onboarding."""

from __future__ import annotations

import json

import asyncpg

PICKUP = json.dumps({"street": "Ấp 1", "ward_code": 25708, "province_code": 80, "contact_name": "Bench",
                     "phone": "+84912000001"})  # fmt: skip


async def first_category(connection: asyncpg.Connection) -> str | None:
    category: str | None = await connection.fetchval("SELECT id FROM category ORDER BY path LIMIT 1")
    return category


async def ensure_seller(connection: asyncpg.Connection, seller_id: str, slug: str) -> None:
    await connection.execute(
        "INSERT INTO seller (id, kind, display_name, slug, legal_name, tax_code, phone, email, province_code, "
        "ward_code, pickup_address, description, status, status_reason, version, created_at, updated_at) "
        "VALUES ($1, 'cooperative', $2, $2, $2, NULL, '+84912000001', NULL, 80, 25708, $3, '', 'approved', NULL, 1, "
        "now(), now()) ON CONFLICT (id) DO NOTHING",
        seller_id, slug, PICKUP,
    )  # fmt: skip


async def ensure_product(
    connection: asyncpg.Connection, product_id: str, seller_id: str, category: str, name: str, slug: str
) -> None:
    await connection.execute(
        "INSERT INTO product (id, seller, category, name, slug, description, origin_province_code, "
        "origin_ward_code, origin_farm, images, storage, shelf_life_days, status, rejection_reason, version, "
        "created_at, updated_at) VALUES ($1, $2, $3, $4, $5, '', 80, NULL, NULL, '[]', 'ambient', 30, 'active', NULL, "
        "1, now(), now()) ON CONFLICT (id) DO NOTHING",
        product_id, seller_id, category, name, slug,
    )  # fmt: skip


async def ensure_variants(
    connection: asyncpg.Connection, product_id: str, seller_id: str, variants: list[tuple[str, int]], price: int
) -> None:
    """Variants (id, stock on hand) of one product, their stock restored to that figure and nothing reserved."""
    await connection.executemany(
        "INSERT INTO variant (id, product, seller, sku, sku_key, unit, unit_size, price, compare_at_price, "
        "weight_g, catch_weight, tolerance_percent, min_per_order, max_per_order, preorder_opens_on, "
        "harvest_from, harvest_to, status, position, created_at, updated_at) "
        "VALUES ($1::varchar, $2, $3::varchar, $1, $3 || ':' || $1, 'bó', 'bó 10 cây', $4, NULL, 1200, false, NULL, "
        "1, NULL, NULL, NULL, NULL, 'active', 0, now(), now()) "
        "ON CONFLICT (id) DO NOTHING",
        [(variant_id, product_id, seller_id, price) for variant_id, _ in variants],
    )  # fmt: skip
    await connection.executemany(
        "INSERT INTO stock_level (variant_id, on_hand, reserved, preorder_capacity, preorder_reserved, updated_at) "
        "VALUES ($1, $2, 0, NULL, 0, now()) ON CONFLICT (variant_id) DO UPDATE SET on_hand = $2, reserved = 0",
        variants,
    )
