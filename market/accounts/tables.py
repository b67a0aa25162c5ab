"""Account tables."""

from __future__ import annotations

from piccolo.columns import Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Account(Table, tablename="account"):
    """A person who signs in with an email or a Vietnamese mobile number (E.164) and a password (argon2id).

    The same account buys and, as a seller member, sells. A deleted account stays as an anonymised tombstone
    (`deleted_at` set, personal fields erased) so that what refers to it (orders, later) keeps its integrity.
    """

    id = Varchar(length=32, primary_key=True)
    email = Varchar(length=254, null=True, default=None, unique=True)
    phone = Varchar(length=16, null=True, default=None, unique=True)
    name = Varchar(length=120)
    password_hash = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    deleted_at = Timestamptz(null=True, default=None)


class Address(Table, tablename="account_address"):
    """A delivery address in a buyer's address book: ward and province codes of the units catalog version
    recorded in `units_version`, the recipient's phone in E.164."""

    id = Varchar(length=32, primary_key=True)
    account = ForeignKey(references=Account, index=True)
    recipient_name = Varchar(length=120)
    phone = Varchar(length=16)
    street = Varchar(length=200)
    ward_code = Integer()
    province_code = Integer()
    units_version = Varchar(length=80)
    is_default = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
