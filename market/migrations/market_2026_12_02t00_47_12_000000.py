from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T00:47:12:000000"
VERSION = "1.38.0"
DESCRIPTION = "the audit trail is append-only: the database refuses to update or delete its rows"

FORWARDS = [
    """
CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only' USING ERRCODE = 'restrict_violation';
END $$
""",
    """
CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()
""",
]

BACKWARDS = [
    "DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event",
    "DROP FUNCTION IF EXISTS audit_event_append_only()",
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
