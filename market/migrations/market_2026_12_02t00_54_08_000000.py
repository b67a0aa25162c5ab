from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T00:54:08:000000"
VERSION = "1.38.0"
DESCRIPTION = "seller status changes made before they had public ids get one, and their actor names its kind"

FORWARDS = [
    "UPDATE seller_status_change SET change_id = 'ssc_' || substr(md5(random()::text || id::text), 1, 26) "
    "WHERE change_id IS NULL",
    "UPDATE seller_status_change SET actor = 'operator:' || actor WHERE actor LIKE 'opr\\_%'",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)

    async def backfill() -> None:
        for statement in FORWARDS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(backfill)
    return manager
