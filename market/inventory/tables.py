"""Inventory tables."""

from __future__ import annotations

from piccolo.columns import Integer, Timestamptz, Varchar
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
