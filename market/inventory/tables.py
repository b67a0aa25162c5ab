"""Inventory tables."""

from __future__ import annotations

from piccolo.columns import JSONB, Integer, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class StockLevel(Table, tablename="stock_level"):
    """Units of one variant: on hand and reserved, or a pre-order capacity for a harvest window.

    The database refuses negative quantities (CHECK constraints in the migration), whatever the code does.
    """

    variant_id = Varchar(length=32, primary_key=True)
    on_hand = Integer(default=0)
    reserved = Integer(default=0)
    preorder_capacity = Integer(null=True, default=None)
    preorder_reserved = Integer(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())


class Harvest(Table, tablename="harvest"):
    """What a pre-order variant's harvest brought in, declared once by its seller, and how its pre-orders were
    filled (`filled_seller_orders`) or cancelled (`cancelled_seller_orders`) in that same transaction."""

    id = Varchar(length=32, primary_key=True)
    variant_id = Varchar(length=32, unique=True)
    capacity = Integer()
    harvested_quantity = Integer()
    filled_quantity = Integer()
    filled_seller_orders = JSONB()
    cancelled_seller_orders = JSONB()
    declared_by = Varchar(length=100)
    declared_at = Timestamptz()
