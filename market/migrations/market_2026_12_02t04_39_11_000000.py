from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.engine import engine_finder

ID = "2026-12-02T04:39:11:000000"
VERSION = "1.38.0"
DESCRIPTION = "payouts: one current bank account per seller, one pending payout line per seller, positive amounts"

FORWARDS = [
    "CREATE UNIQUE INDEX seller_bank_account_current ON seller_bank_account (seller_id) WHERE superseded_at IS NULL",
    "CREATE UNIQUE INDEX payout_line_one_pending ON payout_line (seller_id) WHERE status = 'pending'",
    "ALTER TABLE payout_line ADD CONSTRAINT payout_line_amount_positive CHECK (amount > 0)",
    "ALTER TABLE payout_line ADD CONSTRAINT payout_line_status CHECK (status IN ('pending', 'paid', 'failed', 'returned'))",
]

BACKWARDS = [
    "ALTER TABLE payout_line DROP CONSTRAINT IF EXISTS payout_line_status",
    "ALTER TABLE payout_line DROP CONSTRAINT IF EXISTS payout_line_amount_positive",
    "DROP INDEX IF EXISTS payout_line_one_pending",
    "DROP INDEX IF EXISTS seller_bank_account_current",
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
