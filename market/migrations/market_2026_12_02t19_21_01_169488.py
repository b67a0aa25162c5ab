from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.engine import engine_finder

ID = "2026-12-02T19:21:01:169488"
VERSION = "1.38.0"
DESCRIPTION = (
    "ledger writes for batches: reports by kind read a period through a BRIN index on created_at (no btree on kind), "
    "entries of no seller order stay out of its index, accounts leave room for HOT balance updates"
)

FORWARDS = [
    "CREATE INDEX IF NOT EXISTS ledger_entry_created_brin ON ledger_entry USING brin (created_at)",
    "DROP INDEX IF EXISTS ledger_entry_seller_order_id",
    "CREATE INDEX ledger_entry_seller_order_id ON ledger_entry (seller_order_id) WHERE seller_order_id IS NOT NULL",
    # A balance changes on every posting: with room on its page the new row version is a HOT update (no new index
    # entries). Applies to pages written from now on (VACUUM FULL rewrites the others).
    "ALTER TABLE ledger_account SET (fillfactor = 70)",
]
BACKWARDS = [
    "ALTER TABLE ledger_account RESET (fillfactor)",
    "DROP INDEX IF EXISTS ledger_entry_seller_order_id",
    "CREATE INDEX ledger_entry_seller_order_id ON ledger_entry (seller_order_id)",
    "DROP INDEX IF EXISTS ledger_entry_created_brin",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)

    manager.alter_column(
        table_class_name="LedgerEntry",
        tablename="ledger_entry",
        column_name="kind",
        db_column_name="kind",
        params={"index": False},
        old_params={"index": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    async def add() -> None:
        for statement in FORWARDS:
            await engine_finder().run_ddl(statement)

    async def drop() -> None:
        for statement in BACKWARDS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(add)
    manager.add_raw_backwards(drop)
    return manager
