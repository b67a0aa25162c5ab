from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T04:39:06:000000"
VERSION = "1.38.0"
DESCRIPTION = "bank transfers: orders may be paid by bank_transfer; credits' amounts are positive"

ADD = [
    "ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_payment_method",
    "ALTER TABLE orders ADD CONSTRAINT orders_payment_method CHECK (payment_method IN ('card', 'cod', 'bank_transfer'))",
    "ALTER TABLE bank_credit ADD CONSTRAINT bank_credit_money CHECK (amount >= 0 AND refund_amount >= 0)",
]
DROP = [
    "ALTER TABLE bank_credit DROP CONSTRAINT IF EXISTS bank_credit_money",
    "ALTER TABLE orders DROP CONSTRAINT IF EXISTS orders_payment_method",
    "ALTER TABLE orders ADD CONSTRAINT orders_payment_method CHECK (payment_method IN ('card', 'cod'))",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)

    async def add() -> None:
        for statement in ADD:
            await engine_finder().run_ddl(statement)

    async def drop() -> None:
        for statement in DROP:
            await engine_finder().run_ddl(statement)

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
