from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-11-29T20:13:11:000000"
VERSION = "1.38.0"
DESCRIPTION = "address book integrity: one default address per account, phones in E.164"

FORWARDS = [
    "CREATE UNIQUE INDEX account_address_one_default ON account_address (account) WHERE is_default",
    "ALTER TABLE account_address ADD CONSTRAINT account_address_phone_e164 CHECK (phone ~ '^\\+[0-9]{8,15}$')",
]
BACKWARDS = [
    "ALTER TABLE account_address DROP CONSTRAINT IF EXISTS account_address_phone_e164",
    "DROP INDEX IF EXISTS account_address_one_default",
]


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)

    async def add_constraints() -> None:
        for statement in FORWARDS:
            await engine_finder().run_ddl(statement)

    async def drop_constraints() -> None:
        for statement in BACKWARDS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(add_constraints)
    manager.add_raw_backwards(drop_constraints)
    return manager
