from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Timestamptz, Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T10:20:08:519497"
VERSION = "1.38.0"
DESCRIPTION = "notification_delivery.claim (the sender holding the lease) and send_started_at (an attempt began: an email whose outcome is lost is not resent blindly)"


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)

    manager.add_column(
        table_class_name="NotificationDelivery",
        tablename="notification_delivery",
        column_name="claim",
        db_column_name="claim",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 32,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="NotificationDelivery",
        tablename="notification_delivery",
        column_name="send_started_at",
        db_column_name="send_started_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    return manager
