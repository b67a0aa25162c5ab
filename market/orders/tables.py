"""Order tables. A new order is written in checkout's one statement from the rows `market.orders.drafts` builds,
whose Structs carry every column here (tests/unit/test_states.py checks it); the migration's CHECK constraints
refuse negative money and quantities."""

from __future__ import annotations

from piccolo.columns import JSONB, BigInt, BigSerial, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from market.sellers.tables import Seller


class Order(Table, tablename="orders"):
    """What a buyer (a customer account, or a guest by cart) placed at checkout: contact, shipping address,
    payment method and totals in VND. Its seller orders carry the lifecycle."""

    id = Varchar(length=32, primary_key=True)
    account_id = Varchar(length=32, null=True, default=None, index=True)
    guest_cart_id = Varchar(length=40, null=True, default=None)
    email = Varchar(length=254, null=True, default=None)
    phone = Varchar(length=16)
    shipping_address = JSONB()
    payment_method = Varchar(length=8)
    payment_status = Varchar(length=16)
    currency = Varchar(length=3, default="VND")
    subtotal = BigInt()
    shipping_fee = BigInt()
    total = BigInt()
    paid_amount = BigInt(default=0)
    reserved_until = Timestamptz(null=True, default=None, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class SellerOrder(Table, tablename="seller_order"):
    """The part of an order one seller fulfils and ships as one parcel: lines, shipping charge, cash to collect,
    and a status that moves only along `market.orders.states.TRANSITIONS`."""

    id = Varchar(length=32, primary_key=True)
    order_id = ForeignKey(references=Order, index=True, on_delete=OnDelete.restrict)
    seller = ForeignKey(references=Seller, index=True, on_delete=OnDelete.restrict)
    status = Varchar(length=16, index=True)
    payment_method = Varchar(length=8)
    subtotal = BigInt()
    final_subtotal = BigInt(null=True, default=None)
    shipping_fee = BigInt()
    shipping_zone = Varchar(length=16)
    shipping_service = Varchar(length=16, default="BUU_KIEN")
    transit_days = Integer(default=0)
    total = BigInt()
    cod_amount = BigInt()
    weight_g = Integer()
    origin_province_code = Integer()
    destination_province_code = Integer()
    status_reason = Text(null=True, default=None)
    cod_collected = BigInt(null=True, default=None)
    cod_reference = Varchar(length=64, null=True, default=None)
    cod_remitted = BigInt(null=True, default=None)
    delivered_at = Timestamptz(null=True, default=None)
    open_returns = Integer(default=0)
    returned_amount = BigInt(default=0)
    commission_ppm = Integer(default=0)
    commission_fixed = BigInt(default=0)
    commission_terms = JSONB(default=[])
    tax_vat_bps = Integer(default=0)
    tax_pit_bps = Integer(default=0)
    version = Integer(default=1)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())


class OrderLine(Table, tablename="order_line"):
    """A variant bought, as it was sold: snapshots of name, unit, price and weight. A catch-weight line gets its
    packed weight and final amount when the seller packs it."""

    id = Varchar(length=32, primary_key=True)
    seller_order = ForeignKey(references=SellerOrder, index=True, on_delete=OnDelete.restrict)
    position = Integer()
    variant_id = Varchar(length=32, index=True)
    product_id = Varchar(length=32)
    sku = Varchar(length=64)
    product_name = Varchar(length=160)
    unit = Varchar(length=8)
    unit_size = Varchar(length=40)
    unit_price = BigInt()
    quantity = Integer()
    weight_g = Integer()
    line_total = BigInt()
    catch_weight = Boolean(default=False)
    tolerance_percent = Integer(null=True, default=None)
    preorder = Boolean(default=False)
    packed_weight_g = Integer(null=True, default=None)
    final_total = BigInt(null=True, default=None)


class SellerOrderTransition(Table, tablename="seller_order_transition"):
    """Who moved a seller order from one status to another, when and why (`from_status` is null at creation)."""

    id = BigSerial(primary_key=True)
    seller_order = ForeignKey(references=SellerOrder, index=True, on_delete=OnDelete.restrict)
    from_status = Varchar(length=16, null=True, default=None)
    to_status = Varchar(length=16)
    actor = Varchar(length=100)
    reason = Text(null=True, default=None)
    at = Timestamptz(default=TimestamptzNow())
