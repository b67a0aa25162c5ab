"""Piccolo's engine and app registry.

The engine is built from `DATABASE_URL`; the connection pool is opened by the app's and the worker's lifespans
(`market.core.resources`), so importing this module never connects.
"""

from __future__ import annotations

import os

from piccolo.conf.apps import AppRegistry
from piccolo.engine.postgres import PostgresEngine

DB = PostgresEngine(
    config={"dsn": os.environ.get("DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/market")},
    extensions=(),
)

APP_REGISTRY = AppRegistry(apps=["market.piccolo_app"])
