from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.column_types import Varchar
from piccolo.columns.indexes import IndexMethod

ID = "2026-12-02T00:54:07:097259"
VERSION = "1.38.0"
DESCRIPTION = "seller status changes get a public id and room for an actor such as operator:opr_..."


async def forwards():
    manager = MigrationManager(migration_id=ID, app_name="market", description=DESCRIPTION)

    manager.add_column(
        table_class_name="SellerStatusChange",
        tablename="seller_status_change",
        column_name="change_id",
        db_column_name="change_id",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 32,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.alter_column(
        table_class_name="SellerStatusChange",
        tablename="seller_status_change",
        column_name="actor",
        db_column_name="actor",
        params={"length": 100},
        old_params={"length": 32},
        column_class=Varchar,
        old_column_class=Varchar,
        schema=None,
    )

    return manager
