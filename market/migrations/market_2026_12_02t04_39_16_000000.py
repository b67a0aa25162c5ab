from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T04:39:16:000000"
VERSION = "1.38.0"
DESCRIPTION = "the ledger's rules in the database: lines balance per entry, entries and lines are append-only"

FORWARDS = [
    "ALTER TABLE ledger_line ADD CONSTRAINT ledger_line_amount_not_zero CHECK (amount <> 0)",
    "ALTER TABLE ledger_account ADD CONSTRAINT ledger_account_normal CHECK (normal IN ('debit', 'credit'))",
    "CREATE INDEX ledger_entry_seller_created ON ledger_entry (seller_id, created_at DESC, id DESC) "
    "WHERE seller_id IS NOT NULL",
    """
CREATE FUNCTION ledger_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: post a correcting entry', TG_TABLE_NAME USING ERRCODE = 'restrict_violation';
END $$
""",
    """
CREATE TRIGGER ledger_entry_append_only BEFORE UPDATE OR DELETE ON ledger_entry
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()
""",
    """
CREATE TRIGGER ledger_line_append_only BEFORE UPDATE OR DELETE ON ledger_line
    FOR EACH STATEMENT EXECUTE FUNCTION ledger_append_only()
""",
    """
CREATE FUNCTION ledger_lines_balance() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    wrong varchar;
BEGIN
    SELECT l.entry INTO wrong FROM ledger_line l
    WHERE l.entry IN (SELECT DISTINCT n.entry FROM new_lines n)
    GROUP BY l.entry HAVING sum(l.amount) <> 0 LIMIT 1;
    IF wrong IS NOT NULL THEN
        RAISE EXCEPTION 'the lines of ledger entry % do not sum to zero', wrong USING ERRCODE = 'check_violation';
    END IF;
    RETURN NULL;
END $$
""",
    """
CREATE TRIGGER ledger_lines_balance AFTER INSERT ON ledger_line
    REFERENCING NEW TABLE AS new_lines FOR EACH STATEMENT EXECUTE FUNCTION ledger_lines_balance()
""",
]

BACKWARDS = [
    "DROP TRIGGER IF EXISTS ledger_lines_balance ON ledger_line",
    "DROP FUNCTION IF EXISTS ledger_lines_balance()",
    "DROP TRIGGER IF EXISTS ledger_line_append_only ON ledger_line",
    "DROP TRIGGER IF EXISTS ledger_entry_append_only ON ledger_entry",
    "DROP FUNCTION IF EXISTS ledger_append_only()",
    "DROP INDEX IF EXISTS ledger_entry_seller_created",
    "ALTER TABLE ledger_account DROP CONSTRAINT IF EXISTS ledger_account_normal",
    "ALTER TABLE ledger_line DROP CONSTRAINT IF EXISTS ledger_line_amount_not_zero",
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
