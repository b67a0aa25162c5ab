"""What crosses HTTP for orders (msgspec)."""

from __future__ import annotations

from typing import Annotated

import msgspec

from market.banking.schemas import BankTransferOut
from market.core.schemas import Input, Reason, UnitOut

Status = Annotated[str, msgspec.Meta(max_length=20)]


class AddressOut(msgspec.Struct):
    recipient_name: str
    phone: str
    street: str
    ward: UnitOut
    province: UnitOut


class CatchWeightOut(msgspec.Struct):
    """A line sold by weight: the final amount follows the packed weight within the tolerance."""

    tolerance_percent: int
    packed_weight_g: int | None
    final_total: int | None


class OrderLineOut(msgspec.Struct):
    id: str
    variant_id: str
    product_id: str
    sku: str
    product_name: str
    unit: str
    unit_size: str
    unit_price: int
    quantity: int
    weight_g: int
    line_total: int
    preorder: bool
    catch_weight: CatchWeightOut | None
    object: str = "order_line"


class TransitionOut(msgspec.Struct):
    from_status: str | None
    to_status: str
    actor: str
    reason: str | None
    at: str | None


class SellerOrderOut(msgspec.Struct):
    id: str
    order_id: str
    seller_id: str
    status: str
    payment_method: str
    currency: str
    subtotal: int
    final_subtotal: int | None
    shipping_fee: int
    shipping_zone: str
    shipping_service: str
    transit_days: int
    total: int
    cod_amount: int
    weight_g: int
    lines: list[OrderLineOut]
    history: list[TransitionOut]
    shipping_address: AddressOut
    created_at: str | None
    updated_at: str | None
    cod_collected: int | None = None  # the cash the carrier reported collecting at delivery
    cod_remitted: int | None = None  # the cash its remittance batch paid over to the marketplace
    returned_amount: int = 0  # what returns after delivery gave back to the buyer (refunded or owed by transfer)
    delivered_at: str | None = None
    return_window_ends_on: str | None = None  # the last Vietnamese day to open a return; completed after it
    object: str = "seller_order"


class PaymentOut(msgspec.Struct):
    """`amount`: what the buyer pays in the end (the parts not cancelled, sent back or refunded); `paid_amount`:
    what came in (card received, cash collected, bank transfers received); `refunded_amount`: what went back;
    `refund_due`: what is still owed back (refunds requested and not executed yet: a card refund on its way, or
    cash on delivery that operators pay back by bank transfer); `amount_due`: what an unpaid bank transfer order
    is still missing (after a short transfer, the rest), with `bank_transfer` saying how to pay it."""

    method: str
    status: str
    amount: int
    paid_amount: int
    refunded_amount: int = 0
    refund_due: int = 0
    client_secret: str | None = None
    publishable_key: str | None = None
    next_action: str | None = None
    amount_due: int = 0
    bank_transfer: BankTransferOut | None = None


class OrderOut(msgspec.Struct):
    id: str
    status: str
    currency: str
    subtotal: int
    shipping_fee: int
    total: int
    payment: PaymentOut
    email: str | None
    phone: str
    shipping_address: AddressOut
    seller_orders: list[SellerOrderOut]
    reserved_until: str | None
    created_at: str | None
    access_token: str | None = None  # a guest's, to read the order later (the Order-Token header)
    object: str = "order"


class PackedLineIn(Input):
    line_id: Annotated[str, msgspec.Meta(max_length=40)]
    packed_weight_g: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)]


class PackIn(Input):
    """The packed weight of each catch-weight line (none for an order without catch-weight lines)."""

    lines: Annotated[list[PackedLineIn], msgspec.Meta(max_length=100)] = []


class CancelIn(Input):
    reason: Reason


class RefundIn(Input):
    reason: Reason
