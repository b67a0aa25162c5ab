"""Account tables."""

from __future__ import annotations

from piccolo.columns import Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Account(Table, tablename="account"):
    """A person who signs in with an email or a Vietnamese mobile number (E.164) and a password (argon2id)."""

    id = Varchar(length=32, primary_key=True)
    email = Varchar(length=254, null=True, default=None, unique=True)
    phone = Varchar(length=16, null=True, default=None, unique=True)
    name = Varchar(length=120)
    password_hash = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
