from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-12-02T05:06:18:033815"
VERSION = "1.38.0"
DESCRIPTION = (
    "ledger lines name their entry without a per-row foreign key (the balance trigger checks it per statement)"
)


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)

    manager.alter_column(
        table_class_name="LedgerLine",
        tablename="ledger_line",
        column_name="entry",
        db_column_name="entry",
        params={"length": 32, "default": "", "null": False},
        old_params={"length": 32, "default": None, "null": True},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
