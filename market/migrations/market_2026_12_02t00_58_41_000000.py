from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T00:58:41:000000"
VERSION = "1.38.0"
DESCRIPTION = "a harvest's quantities are never negative and it fills at most what it brought in"

CHECKS = [
    (
        "harvest",
        "harvest_quantities",
        "capacity >= 0 AND harvested_quantity >= 0 AND filled_quantity BETWEEN 0 AND harvested_quantity",
    ),
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)

    async def add_checks() -> None:
        for table, name, condition in CHECKS:
            await engine_finder().run_ddl(f"ALTER TABLE {table} ADD CONSTRAINT {name} CHECK ({condition})")

    async def drop_checks() -> None:
        for table, name, _ in CHECKS:
            await engine_finder().run_ddl(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {name}")

    manager.add_raw(add_checks)
    manager.add_raw_backwards(drop_checks)
    return manager
