"""Seller tables."""

from __future__ import annotations

from piccolo.columns import JSONB, Array, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from market.accounts.tables import Account


class Seller(Table, tablename="seller"):
    """A shop: a farm household, a cooperative (HTX) or an enterprise. Public only once approved."""

    id = Varchar(length=32, primary_key=True)
    kind = Varchar(length=16)
    display_name = Varchar(length=120)
    slug = Varchar(length=100, unique=True)
    legal_name = Varchar(length=200)
    tax_code = Varchar(length=14, null=True, default=None)
    personal_id = Varchar(length=12, null=True, default=None)
    phone = Varchar(length=16)
    email = Varchar(length=254, null=True, default=None)
    province_code = Integer()
    ward_code = Integer()
    pickup_address = JSONB()
    description = Text(default="")
    status = Varchar(length=16, default="pending", index=True)
    status_reason = Text(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class SellerStatusChange(Table, tablename="seller_status_change"):
    """Who moved a seller between statuses, when and why (the reason is kept for every move, reinstatement
    included); `change_id` (`ssc_...`) is its public id, `actor` names who acted (`operator:opr_...`)."""

    change_id = Varchar(length=32, null=True, default=None, unique=True)
    seller = ForeignKey(references=Seller, index=True)
    from_status = Varchar(length=16)
    to_status = Varchar(length=16)
    reason = Text(null=True, default=None)
    actor = Varchar(length=100)
    at = Timestamptz(default=TimestamptzNow())


class SellerMember(Table, tablename="seller_member"):
    """An account's role in a seller: owner (one, manages members and keys) or staff."""

    id = Varchar(length=32, primary_key=True)
    seller = ForeignKey(references=Seller, index=True)
    account = ForeignKey(references=Account, index=True)
    membership_key = Varchar(length=70, unique=True)  # "<seller>:<account>": one membership per pair
    role = Varchar(length=8)
    created_at = Timestamptz(default=TimestamptzNow())


class SellerInvitation(Table, tablename="seller_invitation"):
    """An invitation for a person to join a seller, accepted with its one-time token."""

    id = Varchar(length=32, primary_key=True)
    seller = ForeignKey(references=Seller, index=True)
    email = Varchar(length=254, null=True, default=None)
    phone = Varchar(length=16, null=True, default=None)
    role = Varchar(length=8)
    token_digest = Varchar(length=64, unique=True)
    expires_at = Timestamptz()
    accepted_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class ApiKey(Table, tablename="seller_api_key"):
    """A seller API key: the secret is shown once and stored as its SHA-256 digest."""

    id = Varchar(length=32, primary_key=True)
    seller = ForeignKey(references=Seller, index=True)
    name = Varchar(length=80)
    scopes = Array(base_column=Varchar(length=32))
    token_digest = Varchar(length=64, unique=True)
    last4 = Varchar(length=4)
    created_at = Timestamptz(default=TimestamptzNow())
    last_used_at = Timestamptz(null=True, default=None)
    revoked_at = Timestamptz(null=True, default=None)
