"""The steps of a return after it was opened (see `market.returns.service` for the states): the seller accepts or
refuses, the buyer disputes a refusal, an operator decides the dispute, the return parcel arrives (stock back, the
refund requested), and refusals nobody disputed close. Each step is one transaction; repeating it changes nothing.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from market.audit import service as audit
from market.core import clock
from market.core.db import fetch, transaction
from market.core.errors import Conflict, ValidationFailed
from market.core.outbox.service import record
from market.inventory import service as inventory
from market.orders import returns as seller_orders
from market.payments import service as payments
from market.returns.service import ACCEPTED_OR_LATER, OPERATOR, Move, Owner, current, facts, illegal, move_return


async def _unchanged_or_illegal(return_id: str, owner: Owner, target: str, done: frozenset[str]) -> dict[str, Any]:
    """After a move that did not happen: the return as it is when it already went this way (a repeat), else 409."""
    row = await current(return_id, owner)
    if row["status"] in done:
        return row
    raise illegal(row["status"], target)


async def _accept_in_transaction(return_id: str, move: Move, owner: Owner) -> dict[str, Any] | None:
    row = await move_return(return_id, move, owner)
    if row is not None:
        await record("return.accepted", facts(row, actor=move.actor))
    return row


async def accept(return_id: str, actor: str, owner: Owner) -> dict[str, Any]:
    """The seller accepts a requested return: the worker then creates the return parcel with the carrier."""
    async with transaction():
        move = Move("accepted", actor, None, ("requested",))
        row = await _accept_in_transaction(return_id, move, owner)
        return row or await _unchanged_or_illegal(return_id, owner, "accepted", ACCEPTED_OR_LATER)


async def refuse(return_id: str, actor: str, reason: str, owner: Owner) -> dict[str, Any]:
    """The seller refuses a requested return with a reason; the buyer may dispute it within the window."""
    async with transaction():
        move = Move("refused", actor, reason, ("requested",), refusal_reason=reason, refused_at=clock.now())
        row = await move_return(return_id, move, owner)
        if row is None:
            return await _unchanged_or_illegal(return_id, owner, "refused", frozenset({"refused", "disputed",
                                                                                        "closed"}))  # fmt: skip
        await record("return.refused", facts(row, actor=actor, reason=reason, final=False))
        return row


async def dispute(return_id: str, actor: str, reason: str, owner: Owner, window_days: int) -> dict[str, Any]:
    """The buyer disputes a refusal (until `window_days` after the refusal's Vietnamese date): an operator decides.

    Raises:
        Conflict: `dispute_window_closed` (409) after the window, `illegal_transition` when not refused.
    """
    since = clock.start_of_day(clock.today() - timedelta(days=window_days))
    async with transaction():
        move = Move("disputed", actor, reason, ("refused",), dispute_reason=reason, refused_since=since)
        row = await move_return(return_id, move, owner)
        if row is None:
            found = await current(return_id, owner)
            if found["status"] == "refused":
                last_day = clock.vietnamese_date(found["refused_at"]) + timedelta(days=window_days)
                raise Conflict(f"A refusal can be disputed until {last_day.isoformat()} (Vietnam time).",
                               code="dispute_window_closed", last_day=last_day.isoformat())  # fmt: skip
            return await _unchanged_or_illegal(return_id, owner, "disputed", frozenset({"disputed"}))
        await record("return.disputed", facts(row, actor=actor, reason=reason))
        return row


async def decide(return_id: str, operator_id: str, accept_it: bool, reason: str) -> dict[str, Any]:
    """An operator decides a disputed return: accepted (as if the seller had), or refused for good (closed). The
    decision is in the audit trail. Deciding again the same way changes nothing; the other way is a 409."""
    actor = f"operator:{operator_id}"
    target = "accepted" if accept_it else "closed"
    async with transaction():
        move = Move(target, actor, reason, ("disputed",), decision_reason=reason)
        if accept_it:
            row = await _accept_in_transaction(return_id, move, OPERATOR)
        else:
            row = await move_return(return_id, move, OPERATOR)
            if row is not None:
                await seller_orders.release_return_hold(row["seller_order_id"])
                await record("return.refused", facts(row, actor=actor, reason=reason, final=True))
        if row is None:
            done = ACCEPTED_OR_LATER if accept_it else frozenset({"closed"})
            found = await _unchanged_or_illegal(return_id, OPERATOR, target, done)
            if found["decision_reason"] is None:  # accepted or closed, but not by an operator's decision
                raise illegal(found["status"], target)
            return found
        action = "return.dispute_accepted" if accept_it else "return.dispute_refused"
        details = {"seller_order_id": row["seller_order_id"], "amount": row["refund_amount"]}
        await audit.record(actor, action, "return", return_id, reason=reason, details=details)
        return row


async def _refund(row: dict[str, Any], actor: str) -> dict[str, Any]:
    """Ask once for the return's refund: on the card, or marked for the operators' bank transfer (cash on delivery,
    or a card with less left to refund than the return is worth: operators look before paying, and the carrier's
    webhook is never refused for it)."""
    reason, key = f"return {row['id']}", f"return:{row['id']}"
    args = (row["order_id"], row["seller_order_id"], row["refund_amount"])
    if row["payment_method"] == "card":
        try:
            refund = await payments.request_refund(*args, reason, key, actor)
        except ValidationFailed:
            reason = f"return {row['id']}: more than the card payment has left to refund; check before paying"
        else:
            if refund is not None:
                return refund
    return await payments.request_bank_transfer_refund(*args, reason, key, actor)


async def follow_parcel(return_id: str, parcel_status: str, actor: str, note: str | None) -> list[str]:
    """Where the return parcel is (inside the carrier webhook's transaction): delivered to the seller, the goods
    are back on the shelf and the refund is requested; brought back to the buyer (or cancelled), the return closes
    with nothing refunded. Other statuses leave the return as it is (its parcel's timeline says where it is).
    Returns the statuses the return went through."""
    if parcel_status in ("returned", "cancelled"):
        why = note or "the return parcel did not reach the seller"
        closed = await move_return(return_id, Move("closed", actor, why, ("accepted",)), OPERATOR)
        if closed is None:
            return []
        await seller_orders.release_return_hold(closed["seller_order_id"])
        await record("return.closed", facts(closed, reason=why))
        return ["closed"]
    if parcel_status != "delivered":
        return []
    row = await move_return(return_id, Move("received", actor, note or "the return parcel reached the seller",
                                      ("accepted",)), OPERATOR)  # fmt: skip
    if row is None:
        return []
    lines = await fetch("SELECT variant_id, product_id, quantity FROM order_return_line WHERE return_id = $1 "
                        "ORDER BY id", return_id)  # fmt: skip
    await inventory.restock([inventory.Hold(line["variant_id"], line["quantity"], False) for line in lines])
    await record("stock.updated", {"product_ids": sorted({line["product_id"] for line in lines})})
    await record("return.received", facts(row))
    refund = await _refund(row, actor)
    method = "card" if refund["payment_id"] else "bank_transfer"
    paid_back = Move("refunded", "system", f"refund {refund['id']} ({method})", ("received",), refund_id=refund["id"])
    await move_return(return_id, paid_back, OPERATOR)  # the row is this transaction's: it just became received
    await seller_orders.release_return_hold(row["seller_order_id"], refunded=refund["amount"])
    await record("return.refunded", facts(row, refund_id=refund["id"], amount=refund["amount"], method=method))
    return ["received", "refunded"]


async def close_undisputed(today: date, window_days: int, limit: int = 200) -> int:
    """The worker's job: refusals nobody disputed within the window are closed (the seller order may complete)."""
    due = await fetch(
        "SELECT id FROM order_return WHERE status = 'refused' AND refused_at < $1 ORDER BY refused_at LIMIT $2",
        clock.start_of_day(today - timedelta(days=window_days)), limit,
    )  # fmt: skip
    closed = 0
    for found in due:
        async with transaction():
            move = Move("closed", "system", "not disputed within the window", ("refused",))
            row = await move_return(found["id"], move, OPERATOR)
            if row is not None:
                await seller_orders.release_return_hold(row["seller_order_id"])
                await record("return.closed", facts(row))
                closed += 1
    return closed
