from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T22:42:14:000000"
VERSION = "1.38.0"
DESCRIPTION = "payments and refunds: money the database refuses to get wrong"

CHECKS = [
    ("payment", "payment_money", "amount > 0 AND amount_received >= 0 AND amount_refunded >= 0 "
     "AND amount_refunded <= greatest(amount_received, amount)"),
    ("payment", "payment_status", "status IN ('pending', 'succeeded', 'failed', 'canceled')"),
    ("refund", "refund_amount", "amount > 0"),
    ("seller_order", "seller_order_cod_collected", "cod_collected IS NULL OR cod_collected >= 0"),
]  # fmt: skip


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)

    async def add() -> None:
        for table, name, condition in CHECKS:
            await engine_finder().run_ddl(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({condition})")

    async def drop() -> None:
        for table, name, _ in CHECKS:
            await engine_finder().run_ddl(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
