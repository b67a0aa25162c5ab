from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T05:06:17:000000"
VERSION = "1.38.0"
DESCRIPTION = "ledger lines: the entry and the balance are checked once per statement instead of per row"

FORWARDS = [
    "ALTER TABLE ledger_line DROP CONSTRAINT IF EXISTS ledger_line_entry_fkey",
    """
CREATE OR REPLACE FUNCTION ledger_lines_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wrong varchar;
BEGIN
    -- Lines are never updated or deleted, so an entry balances when the lines each statement adds to it sum to
    -- zero (the ledger writes all of an entry's lines in one statement); and every line names an entry.
    SELECT n.entry INTO wrong FROM new_lines n GROUP BY n.entry HAVING sum(n.amount) <> 0 LIMIT 1;
    IF wrong IS NOT NULL THEN
        RAISE EXCEPTION 'the lines of ledger entry % do not sum to zero', wrong USING ERRCODE = 'check_violation';
    END IF;
    SELECT n.entry INTO wrong FROM (SELECT DISTINCT entry FROM new_lines) n
    WHERE NOT EXISTS (SELECT 1 FROM ledger_entry e WHERE e.id = n.entry) LIMIT 1;
    IF wrong IS NOT NULL THEN
        RAISE EXCEPTION 'ledger lines of no entry (%)', wrong USING ERRCODE = 'foreign_key_violation';
    END IF;
    RETURN NULL;
END $$
""",
]

BACKWARDS: list[str] = []


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)

    async def add() -> None:
        for statement in FORWARDS:
            await engine_finder().run_ddl(statement)

    manager.add_raw(add)
    return manager
