"""Operator tables."""

from __future__ import annotations

from piccolo.columns import Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Operator(Table, tablename="operator"):
    """A member of the marketplace staff; authenticates with a personal token (`mko_...`) issued by the CLI."""

    id = Varchar(length=32, primary_key=True)
    name = Varchar(length=120)
    email = Varchar(length=254, unique=True)
    token_digest = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    revoked_at = Timestamptz(null=True, default=None)
