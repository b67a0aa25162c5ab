from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar

ID = "2026-12-02T05:58:05:825284"
VERSION = "1.38.0"
DESCRIPTION = "webhook_endpoint.secret and previous_secret hold sealed values (AES-GCM, market.webhooks.vault): wider"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)

    manager.alter_column(
        table_class_name="WebhookEndpoint",
        tablename="webhook_endpoint",
        column_name="secret",
        db_column_name="secret",
        params={"length": 200},
        old_params={"length": 80},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    manager.alter_column(
        table_class_name="WebhookEndpoint",
        tablename="webhook_endpoint",
        column_name="previous_secret",
        db_column_name="previous_secret",
        params={"length": 200},
        old_params={"length": 80},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
