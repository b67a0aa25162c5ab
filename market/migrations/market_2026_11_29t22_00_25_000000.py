from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T22:00:25:000000"
VERSION = "1.38.0"
DESCRIPTION = "orders: money and quantities the database refuses to get wrong; list indexes"

CHECKS = [
    ("orders", "orders_money", "subtotal >= 0 AND shipping_fee >= 0 AND total = subtotal + shipping_fee "
     "AND paid_amount >= 0"),
    ("orders", "orders_payment_method", "payment_method IN ('card', 'cod')"),
    ("seller_order", "seller_order_money", "subtotal >= 0 AND shipping_fee >= 0 AND total >= 0 AND cod_amount >= 0 "
     "AND (final_subtotal IS NULL OR final_subtotal >= 0)"),
    ("seller_order", "seller_order_weight", "weight_g > 0"),
    ("order_line", "order_line_quantity", "quantity > 0 AND unit_price > 0 AND line_total = unit_price * quantity"),
    ("order_line", "order_line_packed", "packed_weight_g IS NULL OR packed_weight_g > 0"),
]  # fmt: skip

INDEXES = [
    ("orders_by_account", "orders (account_id, id DESC)"),
    ("seller_order_by_seller", "seller_order (seller, id DESC)"),
    ("seller_order_by_seller_status", "seller_order (seller, status, id DESC)"),
    ("orders_awaiting_payment", "orders (reserved_until) WHERE payment_status = 'pending'"),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)

    async def add() -> None:
        for table, name, condition in CHECKS:
            await engine_finder().run_ddl(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({condition})")
        for name, target in INDEXES:
            await engine_finder().run_ddl(f"CREATE INDEX IF NOT EXISTS {name} ON {target}")

    async def drop() -> None:
        for table, name, _ in CHECKS:
            await engine_finder().run_ddl(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")
        for name, _ in INDEXES:
            await engine_finder().run_ddl(f"DROP INDEX IF EXISTS {name}")

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
