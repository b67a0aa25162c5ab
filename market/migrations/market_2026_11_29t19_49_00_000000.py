from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T19:49:00:000000"
VERSION = "1.38.0"
DESCRIPTION = "integrity checks the database enforces whatever the code does"

CHECKS = [
    ("stock_level", "stock_level_quantities", "on_hand >= 0 AND reserved >= 0 AND reserved <= on_hand"),
    (
        "stock_level",
        "stock_level_preorder",
        "preorder_reserved >= 0 AND (preorder_capacity IS NULL OR preorder_reserved <= preorder_capacity)",
    ),
    ("variant", "variant_price_positive", "price > 0 AND (compare_at_price IS NULL OR compare_at_price > 0)"),
    ("variant", "variant_weight_positive", "weight_g > 0"),
    (
        "variant",
        "variant_order_bounds",
        "min_per_order >= 1 AND (max_per_order IS NULL OR max_per_order >= min_per_order)",
    ),
    ("certification", "certification_ocop_stars", "ocop_stars IS NULL OR ocop_stars BETWEEN 3 AND 5"),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)

    async def add_checks() -> None:
        for table, name, condition in CHECKS:
            await engine_finder().run_ddl(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({condition})")
        await engine_finder().run_ddl(
            "CREATE INDEX IF NOT EXISTS product_public_listing ON product (created_at DESC, id DESC) "
            "WHERE status = 'active'"
        )

    async def drop_checks() -> None:
        for table, name, _ in CHECKS:
            await engine_finder().run_ddl(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
        await engine_finder().run_ddl("DROP INDEX IF EXISTS product_public_listing")

    manager.add_raw(add_checks)
    manager.add_raw_backwards(drop_checks)
    return manager
