"""The seller order's lifecycle: every move is a conditional update along `states.TRANSITIONS`, recorded with who,
when and why, in the same transaction as its stock and its outbox events.

An illegal move answers 409 `illegal_transition` with the current status; a seller order that is not the caller's
is a 404. Cancelling releases the reserved stock exactly once, because only the update that actually moves the
status out of a reserving state goes on to release it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from market.audit import service as audit
from market.catalog import preorders
from market.core import clock
from market.core.db import fetch, transaction
from market.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from market.core.outbox.service import record
from market.inventory import service as inventory
from market.orders.states import BEFORE_HANDOVER, TRANSITIONS, sources

DEFAULT_TOLERANCE_PERCENT = 10


@dataclass(frozen=True)
class Owner:
    """Whose seller orders the caller may touch: a seller's, a customer's, or (both None) an operator's."""

    seller_id: str | None = None
    account_id: str | None = None


OPERATOR = Owner()

MOVE_SQL = """
UPDATE seller_order s SET status = $2, status_reason = $3, version = s.version + 1, updated_at = now()
FROM (SELECT id, status AS from_status FROM seller_order WHERE id = $1 FOR UPDATE) old
WHERE s.id = old.id AND old.from_status = ANY($4::varchar[])
  AND ($5::varchar IS NULL OR s.seller = $5)
  AND ($6::varchar IS NULL OR s.order_id IN (SELECT id FROM orders WHERE account_id = $6))
RETURNING s.*, old.from_status
"""


async def _current(seller_order_id: str, owner: Owner) -> dict[str, Any]:
    rows = await fetch(
        "SELECT s.* FROM seller_order s WHERE s.id = $1 AND ($2::varchar IS NULL OR s.seller = $2) "
        "AND ($3::varchar IS NULL OR s.order_id IN (SELECT id FROM orders WHERE account_id = $3))",
        seller_order_id,
        owner.seller_id,
        owner.account_id,
    )
    if not rows:
        raise NotFound("No such seller order.")
    return dict(rows[0])


def _illegal(current: str, target: str) -> Conflict:
    return Conflict(
        f"A seller order that is {current} cannot become {target}.",
        code="illegal_transition",
        current_status=current,
        allowed=sorted(TRANSITIONS.get(current, ())),
    )


async def history(rows: list[tuple[str, str | None, str, str, str | None]]) -> None:
    """Record transitions (seller order, from, to, actor, reason) in the caller's transaction."""
    columns: list[list[Any]] = [list(column) for column in zip(*rows, strict=True)] if rows else [[]] * 5
    await fetch(
        "INSERT INTO seller_order_transition (seller_order, from_status, to_status, actor, reason, at) "
        "SELECT *, now() FROM unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::varchar[], $5::text[])",
        *columns,
    )


async def move(
    seller_order_id: str, target: str, actor: str, reason: str | None, owner: Owner, allowed: list[str] | None = None
) -> dict[str, Any]:
    """Move one seller order to `target` (inside the caller's transaction) and record it; returns the row.

    Args:
        allowed: the statuses this caller may move it from (default: every status the table allows).
    """
    rows = await fetch(
        MOVE_SQL, seller_order_id, target, reason, allowed or sources(target), owner.seller_id, owner.account_id
    )
    if not rows:
        current = await _current(seller_order_id, owner)
        raise _illegal(current["status"], target)
    row = dict(rows[0])
    await history([(seller_order_id, row["from_status"], target, actor, reason)])
    return row


async def _holds(seller_order_id: str) -> tuple[list[inventory.Hold], list[str]]:
    rows = await fetch(
        "SELECT variant_id, quantity, preorder, product_id FROM order_line WHERE seller_order = $1", seller_order_id
    )
    holds = [inventory.Hold(row["variant_id"], row["quantity"], row["preorder"]) for row in rows]
    return holds, sorted({row["product_id"] for row in rows})


async def _paid_for(order_id: str) -> bool:
    rows = await fetch("SELECT payment_status FROM orders WHERE id = $1", order_id)
    return bool(rows) and rows[0]["payment_status"] == "paid"


async def cancel_in_transaction(seller_order_id: str, actor: str, reason: str, owner: Owner) -> dict[str, Any]:
    """Cancel a seller order before handover and release its stock; its event tells the payments side what is due
    back (the seller order's total when it was paid by card)."""
    row = await move(seller_order_id, "cancelled", actor, reason, owner, sorted(BEFORE_HANDOVER))
    holds, product_ids = await _holds(seller_order_id)
    await inventory.release(holds)
    refund_due = row["total"] if await _paid_for(row["order_id"]) else 0
    facts = {"seller_order_id": seller_order_id, "order_id": row["order_id"], "seller_id": row["seller"]}
    await record("seller_order.cancelled", {**facts, "actor": actor, "reason": reason, "refund_due": refund_due})
    await record("stock.updated", {"product_ids": product_ids})
    return row


async def cancel(seller_order_id: str, actor: str, reason: str, owner: Owner) -> None:
    """Cancel one seller order (buyer, seller or operator), in one transaction."""
    async with transaction():
        row = await cancel_in_transaction(seller_order_id, actor, reason, owner)
        if owner == OPERATOR:  # an operator's action is audited (market.audit), in the same transaction
            facts = {"order_id": row["order_id"], "seller_id": row["seller"]}
            await audit.record(
                actor, "seller_order.cancelled", "seller_order", seller_order_id, reason=reason, details=facts
            )


async def start_packing(seller_order_id: str, actor: str, owner: Owner) -> None:
    async with transaction():
        row = await move(seller_order_id, "packing", actor, None, owner)
        await record("seller_order.packing", {"seller_order_id": seller_order_id, "order_id": row["order_id"]})


def _final_totals(lines: list[dict[str, Any]], packed: dict[str, int], card: bool) -> dict[str, int]:
    """The final amount of each catch-weight line from its packed weight; 422 naming each line at fault. A card's
    charge cannot grow: packed heavier, a card-paid line costs what was charged."""
    errors: list[FieldError] = []
    by_id = {line["id"]: line for line in lines}
    for index, line_id in enumerate(packed):
        line = by_id.get(line_id)
        if line is None:
            errors.append(FieldError(f"lines[{index}].line_id", "unknown_line", "No such line in this order."))
        elif not line["catch_weight"]:
            errors.append(FieldError(f"lines[{index}].line_id", "not_catch_weight", "This line is not sold by weight."))
    missing = [line["id"] for line in lines if line["catch_weight"] and line["id"] not in packed]
    if missing:
        errors.append(FieldError("lines", "packed_weight_required", f"Give the packed weight of {', '.join(missing)}."))
    if errors:
        raise ValidationFailed(errors)
    finals: dict[str, int] = {}
    for index, (line_id, weight) in enumerate(packed.items()):
        line = by_id[line_id]
        nominal = line["quantity"] * line["weight_g"]
        tolerance = line["tolerance_percent"] if line["tolerance_percent"] is not None else DEFAULT_TOLERANCE_PERCENT
        low, high = nominal * (100 - tolerance) // 100, -(-nominal * (100 + tolerance) // 100)
        if not low <= weight <= high:
            errors.append(FieldError(
                f"lines[{index}].packed_weight_g", "packed_weight_out_of_tolerance",
                f"Ordered {nominal} g; the packed weight must be between {low} and {high} g (±{tolerance}%).",
            ))  # fmt: skip
            continue
        final = (line["line_total"] * weight + nominal // 2) // nominal
        finals[line_id] = min(final, line["line_total"]) if card else final
    if errors:
        raise ValidationFailed(errors)
    return finals


PACK_SQL = """
WITH packed AS (SELECT * FROM unnest($2::varchar[], $3::int[], $4::bigint[]) AS p(id, weight, final_total)),
lines AS (
    UPDATE order_line l SET packed_weight_g = p.weight, final_total = p.final_total
    FROM packed p WHERE l.id = p.id AND l.seller_order = $1 RETURNING l.id
)
UPDATE seller_order SET final_subtotal = $5, total = $5 + shipping_fee,
       cod_amount = CASE WHEN payment_method = 'cod' THEN $5 + shipping_fee ELSE 0 END
WHERE id = $1 RETURNING total, cod_amount
"""

SETTLE_ORDER_SQL = """
UPDATE orders o SET subtotal = s.subtotal, total = s.total, updated_at = now()
FROM (SELECT sum(coalesce(final_subtotal, subtotal))::bigint AS subtotal, sum(total)::bigint AS total
      FROM seller_order WHERE order_id = $1) s
WHERE o.id = $1
"""


async def pack(seller_order_id: str, actor: str, owner: Owner, packed: dict[str, int]) -> None:
    """Mark a seller order packed with the packed weight of each catch-weight line: the amounts follow the weights
    (within each line's tolerance) and the cash to collect is fixed before handoff."""
    async with transaction():
        current = await _current(seller_order_id, owner)
        # The order first (as payment confirmation locks it): two sellers packing at once settle its total in turn.
        await fetch("SELECT id FROM orders WHERE id = $1 FOR UPDATE", current["order_id"])
        lines = [dict(row) for row in await fetch("SELECT * FROM order_line WHERE seller_order = $1", seller_order_id)]
        if current["status"] != "packing":
            raise _illegal(current["status"], "packed")
        await preorders.ensure_harvested(line["variant_id"] for line in lines if line["preorder"])
        finals = _final_totals(lines, packed, current["payment_method"] != "cod")
        final_subtotal = 0
        for line in lines:
            final_subtotal += finals[line["id"]] if line["id"] in finals else line["line_total"]
        ids = list(finals)
        totals = await fetch(
            PACK_SQL, seller_order_id, ids, [packed[i] for i in ids], [finals[i] for i in ids], final_subtotal
        )
        await fetch(SETTLE_ORDER_SQL, current["order_id"])  # the order's total is its seller orders' (final) totals
        row = await move(seller_order_id, "packed", actor, None, owner)
        await record("seller_order.packed", {
            "seller_order_id": seller_order_id, "order_id": row["order_id"], "seller_id": row["seller"],
            "subtotal": row["subtotal"], "final_subtotal": final_subtotal, "total": totals[0]["total"],
            "cod_amount": totals[0]["cod_amount"],
        })  # fmt: skip


async def refund(seller_order_id: str, actor: str, reason: str) -> None:
    """An operator refunds a seller order whose money came in (card paid, or cash collected at delivery) and was
    not already given back (a card-paid part cancelled or sent back was refunded when it moved); the payments side
    refunds a card, operators pay cash back by transfer."""
    async with transaction():
        current = await _current(seller_order_id, OPERATOR)
        if "refunded" not in TRANSITIONS.get(current["status"], ()):
            raise _illegal(current["status"], "refunded")
        if current["payment_method"] == "cod":
            due = current["cod_collected"] is not None
        else:
            due = current["status"] in ("delivered", "completed") and await _paid_for(current["order_id"])
        if not due:
            raise Conflict("No money came in for this seller order, or it was already given back.",
                           code="nothing_to_refund")  # fmt: skip
        row = await move(seller_order_id, "refunded", actor, reason, OPERATOR, [current["status"]])
        await record("seller_order.refunded", {
            "seller_order_id": seller_order_id, "order_id": row["order_id"], "seller_id": row["seller"],
            "amount": row["total"], "reason": reason, "actor": actor,
        })  # fmt: skip
        facts = {"order_id": row["order_id"], "seller_id": row["seller"], "amount": row["total"]}
        await audit.record(
            actor, "seller_order.refunded", "seller_order", seller_order_id, reason=reason, details=facts
        )


async def confirm_payment(order_id: str, amount: int, actor: str) -> bool:
    """The card payment of an order succeeded: it is paid and its seller orders are confirmed. False when the
    order no longer awaits payment (already paid, or expired: the payments side then refunds)."""
    async with transaction():
        paid = await fetch(
            "UPDATE orders SET payment_status = 'paid', paid_amount = $2, reserved_until = NULL, updated_at = now() "
            "WHERE id = $1 AND payment_status = 'pending' RETURNING id",
            order_id,
            amount,
        )
        if not paid:
            return False
        for row in await fetch(
            "SELECT id FROM seller_order WHERE order_id = $1 AND status = 'pending_payment' ORDER BY id", order_id
        ):
            await move(row["id"], "confirmed", actor, "payment succeeded", OPERATOR)
        await record("order.paid", {"order_id": order_id, "amount": amount})
    return True


REINSTATED = "paid late by bank transfer: stock reserved again"


async def reinstate_expired(order_id: str, amount: int, actor: str) -> bool:
    """A bank transfer arrived after its order expired: when the stock its seller orders held is still available,
    reserve it again and confirm them (cancelled -> confirmed, with the reason in their history), and the order is
    paid (inside the caller's transaction, which holds the order's row). False when there is nothing to reinstate
    or the stock is gone (the money is then given back)."""
    rows = await fetch(
        "SELECT id FROM seller_order WHERE order_id = $1 AND status = 'cancelled' "
        "AND status_reason = 'payment_expired' ORDER BY id FOR UPDATE",
        order_id,
    )
    ids = [row["id"] for row in rows]
    lines = await fetch("SELECT variant_id, quantity, preorder, product_id FROM order_line "
                        "WHERE seller_order = ANY($1::varchar[])", ids)  # fmt: skip
    if not ids or not await inventory.reserve([inventory.Hold(r["variant_id"], r["quantity"], r["preorder"])
                                               for r in lines]):  # fmt: skip
        return False
    await fetch("UPDATE seller_order SET status = 'confirmed', status_reason = $2, version = version + 1, "
                "updated_at = now() WHERE id = ANY($1::varchar[])", ids, REINSTATED)  # fmt: skip
    await history([(seller_order_id, "cancelled", "confirmed", actor, REINSTATED) for seller_order_id in ids])
    await fetch("UPDATE orders SET payment_status = 'paid', paid_amount = $2, reserved_until = NULL, "
                "updated_at = now() WHERE id = $1", order_id, amount)  # fmt: skip
    await record("order.paid", {"order_id": order_id, "amount": amount})
    await record("stock.updated", {"product_ids": sorted({row["product_id"] for row in lines})})
    return True


async def release_unpaid(order_id: str, payment_status: str, reason: str) -> bool:
    """An unpaid card order's payment will not come (expired, failed, canceled): its pending seller orders are
    cancelled and their stock released, exactly once (False when it was paid or released meanwhile)."""
    async with transaction():
        closed = await fetch(
            "UPDATE orders SET payment_status = $2, reserved_until = NULL, updated_at = now() "
            "WHERE id = $1 AND payment_status = 'pending' RETURNING id",
            order_id,
            payment_status,
        )
        if not closed:
            return False
        for row in await fetch(
            "SELECT id FROM seller_order WHERE order_id = $1 AND status = 'pending_payment' ORDER BY id", order_id
        ):
            await cancel_in_transaction(row["id"], "system", reason, OPERATOR)
        await record(f"order.{payment_status}", {"order_id": order_id})
    return True


async def expire_order(order_id: str) -> bool:
    """Release the stock of a card order whose payment did not come in time."""
    return await release_unpaid(order_id, "expired", "payment_expired")


async def record_cod_collected(seller_order_id: str, amount: int, reference: str) -> bool:
    """The carrier reports the cash it collected for a seller order (once; a repeat of the same report changes
    nothing, and the first report stands)."""
    rows = await fetch(
        "UPDATE seller_order SET cod_collected = $2, cod_reference = $3, updated_at = now() "
        "WHERE id = $1 AND payment_method = 'cod' AND cod_collected IS NULL RETURNING id",
        seller_order_id,
        amount,
        reference,
    )
    return bool(rows)


async def record_cod_remitted(seller_order_id: str, amount: int, fee: int = 0, batch: str | None = None) -> bool:
    """The carrier's remittance batch paid the cash of this seller order over to the marketplace (inside the
    caller's transaction; once: a second payment of the same parcel changes nothing here and is the
    reconciliation's problem to raise), with `seller_order.cod_remitted` (the cash, the carrier's fee kept back and
    the batch) for the ledger. False when it was already remitted or is not a COD seller order."""
    rows = await fetch(
        "UPDATE seller_order SET cod_remitted = $2, updated_at = now() "
        "WHERE id = $1 AND payment_method = 'cod' AND cod_remitted IS NULL RETURNING order_id, seller",
        seller_order_id,
        amount,
    )
    if rows:
        await record("seller_order.cod_remitted", {"seller_order_id": seller_order_id, "order_id": rows[0]["order_id"],
                                                   "seller_id": rows[0]["seller"], "amount": amount, "fee": fee,
                                                   "batch": batch})  # fmt: skip
    return bool(rows)


async def release_expired(limit: int = 200) -> int:
    """The worker's job: expire every card order whose reservation ran out; returns how many it released."""
    due = await fetch(
        "SELECT id FROM orders WHERE payment_status = 'pending' AND reserved_until < now() ORDER BY reserved_until "
        "LIMIT $1",
        limit,
    )
    released = 0
    for row in due:
        released += int(await expire_order(row["id"]))
    return released


CARRIER_TARGETS = {"picked_up": "handed_over", "in_transit": "in_transit", "delivered": "delivered",
                   "delivery_failed": "delivery_failed", "returning": "returning", "returned": "returned"}  # fmt: skip
"""The carrier's parcel statuses, as seller order statuses."""


def _path(current: str, target: str) -> list[str]:
    """The shortest run of legal moves from `current` to `target` (empty when there is none, or nothing to do)."""
    frontier, seen = [[current]], {current}
    while frontier:
        route = frontier.pop(0)
        if route[-1] == target:
            return route[1:]
        for following in sorted(TRANSITIONS.get(route[-1], ())):
            if following not in seen and following not in ("cancelled", "refunded", "completed"):
                seen.add(following)
                frontier.append([*route, following])
    return []


async def follow_carrier(
    seller_order_id: str, parcel_status: str, actor: str, note: str | None, money_collect: int, reference: str,
    happened_at: datetime | None = None,
) -> list[str]:  # fmt: skip
    """Move a seller order to where its parcel is (inside the caller's transaction), through every status on the
    way when reports were missed: the stock leaves at pickup, comes back on return, and the cash collected at
    delivery is recorded with when it was delivered (`happened_at`, the carrier's time; else the clock's), from
    which its return window runs. Returns the statuses it went through."""
    target = CARRIER_TARGETS.get(parcel_status)
    if target is None:
        return []
    rows = await fetch("SELECT status, order_id, seller, total FROM seller_order WHERE id = $1 FOR UPDATE",
                       seller_order_id)  # fmt: skip
    route = _path(rows[0]["status"], target)
    for status in route:
        row = await move(seller_order_id, status, actor, note, OPERATOR)
        facts = {"seller_order_id": seller_order_id, "order_id": row["order_id"], "seller_id": row["seller"]}
        if status in ("handed_over", "returned"):
            holds, product_ids = await _holds(seller_order_id)
            await (inventory.consume if status == "handed_over" else inventory.restock)(holds)
            await record("stock.updated", {"product_ids": product_ids})
        if status == "delivered":
            await fetch("UPDATE seller_order SET delivered_at = $2 WHERE id = $1 AND delivered_at IS NULL",
                        seller_order_id, happened_at or clock.now())  # fmt: skip
            if money_collect:
                await record_cod_collected(seller_order_id, money_collect, reference)
        if status == "returned":
            refund_due = row["total"] if await _paid_for(row["order_id"]) else 0
            facts["refund_due"] = refund_due
        await record(f"seller_order.{status}", facts)
    return route
