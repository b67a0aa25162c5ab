from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T04:40:30:000000"
VERSION = "1.38.0"
DESCRIPTION = "webhook deliveries: one per endpoint and event, and the sender's index of what is due"

FORWARDS = [
    "ALTER TABLE webhook_delivery ADD CONSTRAINT webhook_delivery_endpoint_event_key UNIQUE (endpoint, event_id)",
    "CREATE INDEX webhook_delivery_due ON webhook_delivery (next_attempt_at) WHERE status = 'pending'",
    "CREATE INDEX webhook_delivery_log ON webhook_delivery (seller, created_at DESC, id DESC)",
]

BACKWARDS = [
    "DROP INDEX IF EXISTS webhook_delivery_log",
    "DROP INDEX IF EXISTS webhook_delivery_due",
    "ALTER TABLE webhook_delivery DROP CONSTRAINT IF EXISTS webhook_delivery_endpoint_event_key",
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
