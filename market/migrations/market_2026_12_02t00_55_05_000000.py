from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T00:55:05:000000"
VERSION = "1.38.0"
DESCRIPTION = "returns: statuses, quantities and money checked by the database; a parcel is a delivery or a return"

FORWARDS = [
    """
ALTER TABLE order_return
    ADD CONSTRAINT order_return_status CHECK (status IN ('requested', 'accepted', 'refused', 'disputed', 'received',
                                                         'refunded', 'closed')),
    ADD CONSTRAINT order_return_refund_amount CHECK (refund_amount >= 0)
""",
    """
ALTER TABLE order_return_line
    ADD CONSTRAINT order_return_line_quantity CHECK (quantity > 0),
    ADD CONSTRAINT order_return_line_amount CHECK (amount >= 0)
""",
    """
ALTER TABLE parcel
    ADD CONSTRAINT parcel_kind CHECK (kind IN ('delivery', 'return')),
    ADD CONSTRAINT parcel_kind_links CHECK (
        (kind = 'delivery' AND seller_order_id IS NOT NULL AND return_id IS NULL)
        OR (kind = 'return' AND seller_order_id IS NULL AND return_id IS NOT NULL))
""",
]

BACKWARDS = [
    "ALTER TABLE parcel DROP CONSTRAINT IF EXISTS parcel_kind_links, DROP CONSTRAINT IF EXISTS parcel_kind",
    "ALTER TABLE order_return_line DROP CONSTRAINT IF EXISTS order_return_line_quantity, "
    "DROP CONSTRAINT IF EXISTS order_return_line_amount",
    "ALTER TABLE order_return DROP CONSTRAINT IF EXISTS order_return_status, "
    "DROP CONSTRAINT IF EXISTS order_return_refund_amount",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)

    async def add() -> None:
        for statement in FORWARDS:
            await engine_finder().run_ddl(statement)

    async def drop() -> None:
        for statement in BACKWARDS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
