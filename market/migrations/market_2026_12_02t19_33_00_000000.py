from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T19:33:00:000000"
VERSION = "1.38.0"
DESCRIPTION = (
    "a seller's entries by time: (seller_id, created_at) ascending instead of (seller_id, created_at DESC, id DESC); "
    "new entries go to the end of their seller's run instead of splitting pages at its start, a third of the size"
)

FORWARDS = [
    "DROP INDEX IF EXISTS ledger_entry_seller_created",
    "CREATE INDEX ledger_entry_seller_created ON ledger_entry (seller_id, created_at) WHERE seller_id IS NOT NULL",
]
BACKWARDS = [
    "DROP INDEX IF EXISTS ledger_entry_seller_created",
    "CREATE INDEX ledger_entry_seller_created ON ledger_entry (seller_id, created_at DESC, id DESC) "
    "WHERE seller_id IS NOT NULL",
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
