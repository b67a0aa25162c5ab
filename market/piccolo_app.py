"""The one Piccolo app: every context's tables, migrated together from `market/migrations`."""

from __future__ import annotations

import os

from piccolo.conf.apps import AppConfig

from market.core.outbox.tables import EventReceipt, OutboxEvent

APP_CONFIG = AppConfig(
    app_name="market",
    migrations_folder_path=os.path.join(os.path.dirname(__file__), "migrations"),
    table_classes=[OutboxEvent, EventReceipt],
    migration_dependencies=[],
    commands=[],
)
