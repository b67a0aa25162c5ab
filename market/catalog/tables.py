"""Catalog tables."""

from __future__ import annotations

from piccolo.columns import JSONB, Boolean, Date, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from market.sellers.tables import Seller


class Category(Table, tablename="category"):
    """A node of the category tree; `path` is the slugs from the root ("trai-cay/mang-cau")."""

    id = Varchar(length=32, primary_key=True)
    parent_id = Varchar(length=32, null=True, default=None, index=True)
    name = Varchar(length=80)
    slug = Varchar(length=80, unique=True)
    path = Varchar(length=250)
    position = Integer(default=0)


class Product(Table, tablename="product"):
    """A listing of one seller: draft -> pending_review -> active or rejected -> archived."""

    id = Varchar(length=32, primary_key=True)
    seller = ForeignKey(references=Seller, index=True)
    category = ForeignKey(references=Category, index=True)
    name = Varchar(length=160)
    slug = Varchar(length=200, unique=True)
    description = Text(default="")
    origin_province_code = Integer(index=True)
    origin_ward_code = Integer(null=True, default=None)
    origin_farm = Varchar(length=160, null=True, default=None)
    images = JSONB()
    storage = Varchar(length=8)
    shelf_life_days = Integer()
    status = Varchar(length=16, default="draft", index=True)
    rejection_reason = Text(null=True, default=None)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class Certification(Table, tablename="certification"):
    """VietGAP, GlobalGAP, organic (TCVN 11041) or OCOP (3-5 stars); an expired one stops showing."""

    id = Varchar(length=32, primary_key=True)
    product = ForeignKey(references=Product, index=True)
    type = Varchar(length=12)
    number = Varchar(length=60)
    issuer = Varchar(length=160)
    scope = Varchar(length=200, null=True, default=None)
    ocop_stars = Integer(null=True, default=None)
    valid_until = Date()


class Variant(Table, tablename="variant"):
    """A sellable form of a product ("hộp 500 g", "thùng 5 kg"); stock lives in inventory."""

    id = Varchar(length=32, primary_key=True)
    product = ForeignKey(references=Product, index=True)
    seller = ForeignKey(references=Seller)
    sku = Varchar(length=64)
    sku_key = Varchar(length=100, unique=True)  # "<seller>:<sku>": SKUs are unique per seller
    unit = Varchar(length=8)
    unit_size = Varchar(length=40)
    price = Integer()
    compare_at_price = Integer(null=True, default=None)
    weight_g = Integer()
    catch_weight = Boolean(default=False)
    tolerance_percent = Integer(null=True, default=None)
    min_per_order = Integer(default=1)
    max_per_order = Integer(null=True, default=None)
    preorder_opens_on = Date(null=True, default=None)
    harvest_from = Date(null=True, default=None)
    harvest_to = Date(null=True, default=None)
    status = Varchar(length=10, default="active")
    position = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
