"""The order's standing derived from its seller orders and payment, and the drafted rows matching their tables."""

from __future__ import annotations

from typing import Any

import msgspec
import pytest

from market.orders.drafts import LineRow, OrderRow, SellerOrderRow, TransitionRow
from market.orders.lifecycle import standing
from market.orders.states import ORDER_STATUSES, STATUSES, TRANSITIONS, order_status
from market.orders.tables import Order, OrderLine, SellerOrder, SellerOrderTransition
from market.payments.service import PaymentRow
from market.payments.tables import Payment


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        (["pending_payment", "cancelled"], "pending_payment"),
        (["confirmed", "delivered"], "open"),
        (["delivery_failed"], "open"),
        (["returning", "completed"], "open"),
        (["delivered", "completed"], "delivered"),
        (["delivered", "cancelled"], "delivered"),
        (["completed", "completed"], "completed"),
        (["completed", "cancelled"], "completed"),
        (["completed", "refunded"], "completed"),
        (["returned"], "returned"),
        (["returned", "cancelled"], "returned"),
        (["returned", "refunded"], "returned"),
        (["refunded"], "refunded"),
        (["refunded", "cancelled"], "refunded"),
        (["cancelled", "cancelled"], "cancelled"),
    ],
)
def test_order_status(statuses: list[str], expected: str) -> None:
    assert order_status(statuses) == expected


def test_every_mix_of_two_seller_orders_has_a_status_of_the_vocabulary() -> None:
    assert {order_status([a, b]) for a in STATUSES for b in STATUSES} == set(ORDER_STATUSES)
    assert all(target in TRANSITIONS for targets in TRANSITIONS.values() for target in targets)


def _seller_order(status: str, total: int, **facts: Any) -> dict[str, Any]:
    return {"status": status, "total": total, "subtotal": total - 20_000, "final_subtotal": None,
            "shipping_fee": 20_000, "cod_amount": total, "cod_collected": None, "cod_remitted": None,
            **facts}  # fmt: skip


COD = {"payment_method": "cod", "payment_status": "cod_pending"}
CARD = {"payment_method": "card", "payment_status": "paid"}


@pytest.mark.parametrize(
    ("seller_orders", "expected"),
    [
        ([_seller_order("confirmed", 100_000)], ("open", "cod_pending", 100_000, 0, 0)),
        ([_seller_order("delivered", 100_000, cod_collected=100_000)], ("delivered", "collected", 100_000, 100_000, 0)),
        ([_seller_order("completed", 100_000, cod_collected=100_000, cod_remitted=100_000)],
         ("completed", "remitted", 100_000, 100_000, 0)),
        ([_seller_order("delivered", 100_000, cod_collected=100_000), _seller_order("in_transit", 50_000)],
         ("open", "partially_collected", 150_000, 100_000, 0)),
        ([_seller_order("returned", 100_000)], ("returned", "cancelled", 0, 0, 0)),
        ([_seller_order("cancelled", 100_000)], ("cancelled", "cancelled", 0, 0, 0)),
        ([_seller_order("refunded", 100_000, cod_collected=100_000)], ("refunded", "refunded", 0, 100_000, 100_000)),
        ([_seller_order("refunded", 100_000, cod_collected=100_000),
          _seller_order("completed", 50_000, cod_collected=50_000)],
         ("completed", "partially_refunded", 50_000, 150_000, 100_000)),
    ],
)  # fmt: skip
def test_cash_on_delivery_standing(seller_orders: list[dict[str, Any]], expected: tuple[Any, ...]) -> None:
    now = standing(COD, seller_orders, None)
    assert (now.status, now.payment_status, now.amount, now.paid_amount, now.refunded_amount) == expected
    assert now.total == sum(so["total"] for so in seller_orders)


@pytest.mark.parametrize(
    ("order", "payment", "expected"),
    [
        ({**CARD, "payment_status": "pending"}, {"amount_received": 0, "amount_refunded": 0}, "pending"),
        ({**CARD, "payment_status": "expired"}, {"amount_received": 0, "amount_refunded": 0}, "expired"),
        ({**CARD, "payment_status": "failed"}, None, "failed"),
        (CARD, {"amount_received": 100_000, "amount_refunded": 0}, "paid"),
        (CARD, {"amount_received": 100_000, "amount_refunded": 5_500}, "partially_refunded"),
        (CARD, {"amount_received": 100_000, "amount_refunded": 100_000}, "refunded"),
        # paid after the order expired: the payment came in, and went back
        ({**CARD, "payment_status": "expired"}, {"amount_received": 100_000, "amount_refunded": 100_000}, "refunded"),
    ],
)
def test_card_standing(order: dict[str, Any], payment: dict[str, Any] | None, expected: str) -> None:
    assert standing(order, [_seller_order("confirmed", 100_000)], payment).payment_status == expected


@pytest.mark.parametrize(
    ("row", "table"),
    [(OrderRow, Order), (SellerOrderRow, SellerOrder), (LineRow, OrderLine), (PaymentRow, Payment),
     (TransitionRow, SellerOrderTransition)],
)  # fmt: skip
def test_drafted_rows_carry_every_column(row: type[msgspec.Struct], table: Any) -> None:
    """Checkout inserts drafts with jsonb_populate_record: a column missing from its Struct would arrive NULL."""
    columns = {column._meta.db_column_name for column in table._meta.columns}
    if table is SellerOrderTransition:
        columns.discard("id")  # the sequence's
    assert set(row.__struct_fields__) == columns
