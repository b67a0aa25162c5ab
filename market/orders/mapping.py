"""Order rows (dicts keyed by column, as read from the database or as checkout is about to write them) to their
API representations: one mapping for both, so a checkout's answer and a later read agree."""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import Any

from market.banking.schemas import BankTransferOut
from market.core.schemas import rfc3339
from market.geo.service import province_out, ward_out
from market.orders.lifecycle import return_window_days, standing, window_ends_on
from market.orders.schemas import (
    AddressOut,
    CatchWeightOut,
    OrderLineOut,
    OrderOut,
    PaymentOut,
    SellerOrderOut,
    TransitionOut,
)
from market.payments.gateway import PaymentStart

Row = dict[str, Any]


def address_out(address: Row) -> AddressOut:
    return AddressOut(
        recipient_name=address["recipient_name"],
        phone=address["phone"],
        street=address["street"],
        ward=ward_out(address["ward_code"]),
        province=province_out(address["province_code"]),
    )


def line_out(line: Row) -> OrderLineOut:
    catch_weight = None
    if line["catch_weight"]:
        catch_weight = CatchWeightOut(line["tolerance_percent"] or 0, line["packed_weight_g"], line["final_total"])
    return OrderLineOut(
        id=line["id"],
        variant_id=line["variant_id"],
        product_id=line["product_id"],
        sku=line["sku"],
        product_name=line["product_name"],
        unit=line["unit"],
        unit_size=line["unit_size"],
        unit_price=line["unit_price"],
        quantity=line["quantity"],
        weight_g=line["weight_g"],
        line_total=line["line_total"],
        preorder=line["preorder"],
        catch_weight=catch_weight,
    )


def transition_out(transition: Row) -> TransitionOut:
    return TransitionOut(
        transition["from_status"], transition["to_status"], transition["actor"], transition["reason"],
        rfc3339(transition["at"]),
    )  # fmt: skip


def seller_order_out(seller_order: Row, lines: list[Row], history: list[Row], address: Row) -> SellerOrderOut:
    return SellerOrderOut(
        id=seller_order["id"],
        order_id=seller_order["order_id"],
        seller_id=seller_order["seller"],
        status=seller_order["status"],
        payment_method=seller_order["payment_method"],
        currency="VND",
        subtotal=seller_order["subtotal"],
        final_subtotal=seller_order["final_subtotal"],
        shipping_fee=seller_order["shipping_fee"],
        shipping_zone=seller_order["shipping_zone"],
        shipping_service=seller_order["shipping_service"],
        transit_days=seller_order["transit_days"],
        total=seller_order["total"],
        cod_amount=seller_order["cod_amount"],
        weight_g=seller_order["weight_g"],
        lines=[line_out(line) for line in sorted(lines, key=lambda line: line["position"])],
        history=[transition_out(transition) for transition in history],
        shipping_address=address_out(address),
        created_at=rfc3339(seller_order["created_at"]),
        updated_at=rfc3339(seller_order["updated_at"]),
        cod_collected=seller_order["cod_collected"],
        cod_remitted=seller_order["cod_remitted"],
        returned_amount=seller_order["returned_amount"],
        delivered_at=rfc3339(seller_order["delivered_at"]),
        return_window_ends_on=_isoformat(window_ends_on(seller_order["delivered_at"], return_window_days())),
    )


def _isoformat(day: date | None) -> str | None:
    return day.isoformat() if day else None


def by_seller_order(rows: list[Row]) -> dict[str, list[Row]]:
    grouped: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        grouped[row["seller_order"]].append(row)
    return grouped


def order_out(
    order: Row, seller_orders: list[Row], lines: list[Row], history: list[Row], payment_row: Row | None = None,
    start: PaymentStart | None = None, *, refund_due: int = 0,
) -> OrderOut:  # fmt: skip
    """The buyer's view of an order (its card payment's row, if any); `start` adds what the client does next to
    pay (at checkout); `refund_due` is what refunds requested and not yet executed owe the buyer. Status, payment
    and amounts come from `lifecycle.standing`."""
    lines_of, history_of = by_seller_order(lines), by_seller_order(history)
    address = order["shipping_address"]
    now = standing(order, seller_orders, payment_row)
    due = _bank_due(order, payment_row, now.payment_status, now.amount)
    transfer = start.bank_transfer if start and start.bank_transfer else _transfer(order, due) if due else None
    payment = PaymentOut(
        method=order["payment_method"],
        status=now.payment_status,
        amount=now.amount,
        paid_amount=now.paid_amount,
        refunded_amount=now.refunded_amount,
        refund_due=refund_due,
        client_secret=start.client_secret if start else None,
        publishable_key=start.publishable_key if start else None,
        next_action=start.status if start else "requires_transfer" if transfer else None,
        amount_due=transfer.amount if transfer else 0,
        bank_transfer=transfer,
    )
    return OrderOut(
        id=order["id"],
        status=now.status,
        currency=order["currency"],
        subtotal=now.subtotal,
        shipping_fee=now.shipping_fee,
        total=now.total,
        payment=payment,
        email=order["email"],
        phone=order["phone"],
        shipping_address=address_out(address),
        seller_orders=[seller_order_out(so, lines_of[so["id"]], history_of[so["id"]], address) for so in seller_orders],
        reserved_until=rfc3339(order["reserved_until"]),
        created_at=rfc3339(order["created_at"]),
    )


def _bank_due(order: Row, payment_row: Row | None, payment_status: str, amount: int) -> int:
    """What an unpaid bank transfer order still misses (0 for any other order, or once paid or closed)."""
    if order["payment_method"] != "bank_transfer" or payment_status not in ("pending", "partially_paid"):
        return 0
    return max(amount - (payment_row["amount_received"] if payment_row else 0), 0)


def _transfer(order: Row, due: int) -> BankTransferOut:
    from market.banking.instructions import instructions
    from market.core.resources import current

    return instructions(current().settings, order["id"], due, order["reserved_until"])
