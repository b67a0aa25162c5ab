"""Load N generated products straight into PostgreSQL (COPY), for the catalog and search scenarios.

`python -m tests.bench.load [--count 100000]`: sellers (one per 100 products, approved), products (active),
variants, stock and certifications, in a few seconds; the search index is then built with `market search reindex`.
Bypassing the services is deliberate here: it measures reads, not 100,000 seller requests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from datetime import UTC, date, datetime, timedelta

import asyncpg

from market.catalog.categories import seed_categories
from market.core.ids import new_id
from market.core.resources import Resources
from market.core.text import slugify
from market.settings import Settings
from tests.bench.generate import products

BENCH_SELLER_PREFIX = "bench-seller-"


async def load(count: int, seed: int = 7) -> int:
    """Insert `count` products (skipped when that many bench products already exist); returns products added."""
    settings = Settings.from_env()
    resources = await Resources.open(settings)
    try:
        await seed_categories()
    finally:
        await resources.close()
    connection = await asyncpg.connect(settings.database_url)
    try:
        existing = await connection.fetchval(
            "SELECT count(*) FROM product p JOIN seller s ON s.id = p.seller WHERE s.slug LIKE $1",
            f"{BENCH_SELLER_PREFIX}%",
        )
        if existing >= count:
            print(f"[load] {existing:,} bench products already loaded", file=sys.stderr)
            return 0
        categories = dict(await connection.fetch("SELECT slug, id FROM category"))
        sellers = await _sellers(connection, max(1, count // 100))
        now = datetime.now(UTC)
        product_rows, variant_rows, stock_rows, cert_rows = [], [], [], []
        for number, record in enumerate(products(count, seed)):
            product_id = new_id("prd")
            product_rows.append((
                product_id, sellers[record["seller_index"] % len(sellers)], categories[record["category"]],
                record["name"], f"{slugify(record['name'], max_length=120)}-{product_id[-6:]}",
                f"{record['name']}: hàng tuyển, giao qua bưu điện.", record["origin"]["province_code"], None, None,
                json.dumps([f"https://img.market.example/bench/{number}.jpg"]), record["storage"],
                record["shelf_life_days"], "active", None, 1, now - timedelta(seconds=count - number), now,
            ))  # fmt: skip
            for position, variant in enumerate(record["variants"]):
                variant_id = new_id("var")
                harvest = date.today() + timedelta(days=30) if variant["stock"] is None else None
                variant_rows.append((
                    variant_id, product_id, product_rows[-1][1], variant["sku"],
                    f"{product_rows[-1][1]}:{variant['sku']}", variant["unit"], variant["unit_size"],
                    variant["price"], None, variant["weight_g"], variant["catch_weight"],
                    variant["tolerance_percent"], 1, None, date.today() if harvest else None, harvest,
                    harvest + timedelta(days=14) if harvest else None, "active", position, now, now,
                ))  # fmt: skip
                stock_rows.append((variant_id, variant["stock"] or 0, 0, 200 if harvest else None, 0, now))
            for cert in record["certifications"]:
                cert_rows.append((
                    new_id("cer"), product_id, cert["type"], cert["number"], "Cơ quan chứng nhận", None,
                    cert.get("ocop_stars"), date.today() + timedelta(days=365),
                ))  # fmt: skip
            if (number + 1) % 10_000 == 0 or number + 1 == count:
                print(f"\r[load] generated {number + 1:,}/{count:,}", end="", file=sys.stderr, flush=True)
        print(file=sys.stderr)
        async with connection.transaction():
            for table, rows in (("product", product_rows), ("variant", variant_rows),
                                ("stock_level", stock_rows), ("certification", cert_rows)):  # fmt: skip
                await connection.copy_records_to_table(table, records=rows, columns=_COLUMNS[table])
                print(f"[load] {table}: {len(rows):,} rows", file=sys.stderr, flush=True)
        await connection.execute("ANALYZE")
        return len(product_rows)
    finally:
        await connection.close()


_COLUMNS = {
    "product": ["id", "seller", "category", "name", "slug", "description", "origin_province_code",
                "origin_ward_code", "origin_farm", "images", "storage", "shelf_life_days", "status",
                "rejection_reason", "version", "created_at", "updated_at"],
    "variant": ["id", "product", "seller", "sku", "sku_key", "unit", "unit_size", "price", "compare_at_price",
                "weight_g", "catch_weight", "tolerance_percent", "min_per_order", "max_per_order",
                "preorder_opens_on", "harvest_from", "harvest_to", "status", "position", "created_at", "updated_at"],
    "stock_level": ["variant_id", "on_hand", "reserved", "preorder_capacity", "preorder_reserved", "updated_at"],
    "certification": ["id", "product", "type", "number", "issuer", "scope", "ocop_stars", "valid_until"],
}  # fmt: skip


async def _sellers(connection: asyncpg.Connection, count: int) -> list[str]:
    ids = [row["id"] for row in await connection.fetch(
        "SELECT id FROM seller WHERE slug LIKE $1 ORDER BY slug", f"{BENCH_SELLER_PREFIX}%"
    )]  # fmt: skip
    pickup = json.dumps({"street": "Ấp 1", "ward_code": 25708, "province_code": 80, "contact_name": "Bench",
                         "phone": "+84912000000"})  # fmt: skip
    for number in range(len(ids), count):
        seller_id = new_id("sel")
        await connection.execute(
            "INSERT INTO seller (id, kind, display_name, slug, legal_name, tax_code, phone, email, province_code, "
            "ward_code, pickup_address, description, status, status_reason, version, created_at, updated_at) "
            "VALUES ($1, 'cooperative', $2, $3, $2, NULL, '+84912000000', NULL, 80, 25708, $4, '', 'approved', "
            "NULL, 1, now(), now())",
            seller_id, f"HTX Nông sản số {number}", f"{BENCH_SELLER_PREFIX}{number:05d}", pickup,
        )  # fmt: skip
        ids.append(seller_id)
    return ids


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=100_000)
    args = parser.parse_args()
    os.environ.setdefault("PICCOLO_CONF", "market.piccolo_conf")
    added = asyncio.run(load(args.count))
    print(f"[load] added {added:,} products", file=sys.stderr)


if __name__ == "__main__":
    main()
