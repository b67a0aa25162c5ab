from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T19:34:10:000000"
VERSION = "1.38.0"
DESCRIPTION = "partial index for the outbox relay"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)

    async def index_undelivered() -> None:
        # The relay's only query reads undelivered rows in id order; a partial index keeps it cheap however long
        # the delivered history grows. (Piccolo runs raw steps before table operations, hence its own migration.)
        await engine_finder().run_ddl(
            "CREATE INDEX IF NOT EXISTS outbox_event_undelivered ON outbox_event (id) WHERE delivered_at IS NULL"
        )

    async def drop_index() -> None:
        await engine_finder().run_ddl("DROP INDEX IF EXISTS outbox_event_undelivered")

    manager.add_raw(index_undelivered)
    manager.add_raw_backwards(drop_index)
    return manager
