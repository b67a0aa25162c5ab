"""Returns after delivery: every move of a return is a conditional update along `TRANSITIONS`, recorded with who,
when and why, in the same transaction as its outbox event (and its stock, money and audit, where it has them).

    requested -> accepted (seller, or an operator on a dispute) -> received (the return parcel reached the seller:
    stock restocked) -> refunded (card refund requested, or cash marked for bank transfer)
    requested -> refused (seller) -> disputed (buyer) -> accepted | closed (operator)
    refused -> closed (nobody disputed within the window)
    accepted -> closed (the return parcel never reached the seller: the carrier brought it back, or cancelled it)

A repeated step answers the return as it is (accepting twice makes one parcel and one refund); a step the return's
status does not allow is a 409 `illegal_transition`; another buyer's or seller's return is a 404. While a return is
open (not refunded nor closed) its seller order's `open_returns` holds the seller order's completion.

Days are Vietnamese dates (`market.core.clock`): a return may be opened until the end of the day
`return_window_days` after the delivery date, and a refusal disputed until `return_window_days` after its date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import msgspec

from market.core import clock
from market.core.db import fetch, transaction
from market.core.errors import Conflict, FieldError, NotFound, ValidationFailed
from market.core.idempotency import service as idempotency
from market.core.ids import new_id
from market.core.outbox.service import record
from market.core.urls import check_public_https_url
from market.orders import returns as seller_orders
from market.returns.schemas import ReturnIn

TRANSITIONS: dict[str, frozenset[str]] = {
    "requested": frozenset({"accepted", "refused"}),
    "refused": frozenset({"disputed", "closed"}),
    "disputed": frozenset({"accepted", "closed"}),
    "accepted": frozenset({"received", "closed"}),
    "received": frozenset({"refunded"}),
    "refunded": frozenset(),
    "closed": frozenset(),
}
OPEN = frozenset({"requested", "refused", "disputed", "accepted", "received"})
ACCEPTED_OR_LATER = frozenset({"accepted", "received", "refunded"})


@dataclass(frozen=True)
class Owner:
    """Whose returns the caller may touch: a buyer's, a seller's, or (both None) an operator's."""

    account_id: str | None = None
    seller_id: str | None = None


OPERATOR = Owner()


@dataclass(frozen=True)
class OpenRequest:
    """A buyer's request to open a return, with its Idempotency-Key and the request's fingerprint."""

    account_id: str
    order_id: str
    body: ReturnIn
    key: str
    fingerprint: str


@dataclass(frozen=True)
class Opened:
    """A new return (`claim`: store its response for replays) or the first response to replay."""

    return_id: str | None
    claim: idempotency.Claim | None = None
    replay: idempotency.Replay | None = None


class _KeyTaken(Exception):
    """Another request with the same Idempotency-Key got there first: roll this one back."""


def illegal(current: str, target: str) -> Conflict:
    return Conflict(f"A return that is {current} cannot become {target}.", code="illegal_transition",
                    current_status=current, allowed=sorted(TRANSITIONS.get(current, ())))  # fmt: skip


MOVE_SQL = """
UPDATE order_return r SET status = $2, updated_at = now(),
    refusal_reason = coalesce($6, r.refusal_reason), refused_at = coalesce($7, r.refused_at),
    dispute_reason = coalesce($8, r.dispute_reason), decision_reason = coalesce($9, r.decision_reason),
    refund_id = coalesce($10, r.refund_id)
FROM (SELECT id, status AS from_status FROM order_return WHERE id = $1 FOR UPDATE) old
WHERE r.id = old.id AND old.from_status = ANY($3::varchar[])
  AND ($4::varchar IS NULL OR r.account_id = $4) AND ($5::varchar IS NULL OR r.seller_id = $5)
  AND ($11::timestamptz IS NULL OR r.refused_at >= $11)
RETURNING r.*, old.from_status
"""


@dataclass(frozen=True)
class Move:
    """One move of a return: its target, who, why, from which statuses, and the columns it sets."""

    target: str
    actor: str
    reason: str | None
    sources: tuple[str, ...]
    refusal_reason: str | None = None
    refused_at: datetime | None = None
    dispute_reason: str | None = None
    decision_reason: str | None = None
    refund_id: str | None = None
    refused_since: datetime | None = None


async def move_return(return_id: str, move: Move, owner: Owner) -> dict[str, Any] | None:
    """Apply one move inside the caller's transaction and record it; None when the return's status (or the
    dispute window) does not allow it, or it is not the caller's."""
    rows = await fetch(
        MOVE_SQL, return_id, move.target, list(move.sources), owner.account_id, owner.seller_id, move.refusal_reason,
        move.refused_at, move.dispute_reason, move.decision_reason, move.refund_id, move.refused_since,
    )  # fmt: skip
    if not rows:
        return None
    row = dict(rows[0])
    await fetch(
        "INSERT INTO order_return_transition (return_id, from_status, to_status, actor, reason, at) "
        "VALUES ($1, $2, $3, $4, $5, now())",
        return_id, row["from_status"], move.target, move.actor, move.reason,
    )  # fmt: skip
    return row


async def current(return_id: str, owner: Owner) -> dict[str, Any]:
    """The return as it is; 404 when there is none or it is not the caller's."""
    rows = await fetch(
        "SELECT * FROM order_return WHERE id = $1 AND ($2::varchar IS NULL OR account_id = $2) "
        "AND ($3::varchar IS NULL OR seller_id = $3)",
        return_id, owner.account_id, owner.seller_id,
    )  # fmt: skip
    if not rows:
        raise NotFound("No such return.")
    return dict(rows[0])


def facts(row: dict[str, Any], **more: Any) -> dict[str, Any]:
    return {"return_id": row["id"], "seller_order_id": row["seller_order_id"], "order_id": row["order_id"],
            "seller_id": row["seller_id"], **more}  # fmt: skip


# Opening a return ---------------------------------------------------------------------------------------------


async def _photo_errors(photos: list[str], trusted_hosts: tuple[str, ...]) -> list[FieldError]:
    """The same checks as product images: https, never a private or internal host."""
    found = [await check_public_https_url(url, f"photos[{index}]", trusted_hosts) for index, url in enumerate(photos)]
    return [error for error in found if error is not None]


def _prorated(amount: int, quantity: int, before: int, more: int) -> int:
    """The worth of `more` units after `before` were already returned, so that returning a line in parts adds up
    to exactly its amount (rounded half up at each step)."""

    def upto(units: int) -> int:
        return (2 * amount * units + quantity) // (2 * quantity)

    return upto(before + more) - upto(before)


async def _returned_so_far(seller_order_id: str) -> dict[str, int]:
    rows = await fetch(
        "SELECT l.order_line_id, sum(l.quantity)::int AS quantity FROM order_return_line l "
        "JOIN order_return r ON r.id = l.return_id WHERE r.seller_order_id = $1 AND r.status <> 'closed' "
        "GROUP BY l.order_line_id",
        seller_order_id,
    )
    return {row["order_line_id"]: row["quantity"] for row in rows}


async def _lines(seller_order_id: str, body: ReturnIn) -> list[tuple[seller_orders.DeliveredLine, int, int, int]]:
    """(line, quantity, amount, weight) of each line returned; 422 naming every line at fault."""
    delivered = {line.id: line for line in await seller_orders.delivered_lines(seller_order_id)}
    returned = await _returned_so_far(seller_order_id)
    errors: list[FieldError] = []
    chosen: list[tuple[seller_orders.DeliveredLine, int, int, int]] = []
    seen: set[str] = set()
    for index, wanted in enumerate(body.lines):
        line = delivered.get(wanted.line_id)
        if line is None:
            errors.append(FieldError(f"lines[{index}].line_id", "unknown_line", "No such line in this seller order."))
            continue
        if line.id in seen:
            errors.append(FieldError(f"lines[{index}].line_id", "duplicate_line", "Each line at most once."))
            continue
        seen.add(line.id)
        before = returned.get(line.id, 0)
        if wanted.quantity > line.quantity - before:
            left = line.quantity - before
            errors.append(FieldError(f"lines[{index}].quantity", "exceeds_delivered",
                                     f"At most {left} of this line can still be returned."))  # fmt: skip
            continue
        amount = _prorated(line.amount, line.quantity, before, wanted.quantity)
        chosen.append((line, wanted.quantity, amount, line.weight_g * wanted.quantity // line.quantity))
    if errors:
        raise ValidationFailed(errors)
    return chosen


async def _refuse_to_open(request: OpenRequest, window_days: int) -> Exception:
    """Why a seller order cannot take a return: not the buyer's (404), not delivered or its window over (409)."""
    body = request.body
    state = await seller_orders.state_for_buyer(body.seller_order_id, request.order_id, request.account_id)
    if state is None:
        return NotFound("No such seller order in this order.")
    if state.status != "delivered" or state.delivered_at is None:
        return Conflict(f"Only a delivered seller order can be returned; this one is {state.status}.",
                        code="not_delivered", current_status=state.status)  # fmt: skip
    last_day = clock.vietnamese_date(state.delivered_at) + timedelta(days=window_days)
    return Conflict(f"The return window ended on {last_day.isoformat()} (Vietnam time).",
                    code="return_window_closed", last_day=last_day.isoformat())  # fmt: skip


_CLAIMED = idempotency.claim_cte("true", "$1", "$2", "$3", "NULL", "NULL")
CLAIM_SQL = f"WITH {_CLAIMED} SELECT count(*) AS n FROM claimed"  # noqa: S608 (placeholders, never values)


async def open_return(request: OpenRequest, window_days: int, trusted_hosts: tuple[str, ...]) -> Opened:
    """Open a return for lines of a delivered seller order of the buyer's order, within the return window.

    Raises:
        NotFound: the order or seller order is not the buyer's.
        Conflict: `not_delivered`, `return_window_closed` (409), or the idempotency conflicts.
        ValidationFailed: `unknown_line`, `duplicate_line`, `exceeds_delivered`, photo URL codes (422).
    """
    scope = f"customer:{request.account_id}"
    earlier = await idempotency.lookup(scope, request.key, request.fingerprint)
    if earlier is not None:
        return _earlier(earlier)
    body = request.body
    errors = await _photo_errors(body.photos, trusted_hosts)
    if errors:
        raise ValidationFailed(errors)
    since = clock.start_of_day(clock.today() - timedelta(days=window_days))
    return_id = new_id("ret")
    try:
        async with transaction():
            # The key first: a concurrent request with the same key waits here, then finds it taken (rather than
            # waiting on the seller order and finding its lines already returned by the first).
            claimed = await fetch(CLAIM_SQL, f"{scope}:{request.key}", request.fingerprint, return_id)
            if not claimed[0]["n"]:
                raise _KeyTaken
            held = await seller_orders.hold_for_return(body.seller_order_id, request.order_id, request.account_id,
                                                       since)  # fmt: skip
            if held is None:
                raise await _refuse_to_open(request, window_days)
            lines = await _lines(held.seller_order_id, body)
            await _insert(return_id, held, request, lines)
    except _KeyTaken:
        again = await idempotency.lookup(scope, request.key, request.fingerprint)
        if again is None:  # the key expired in between: extremely unlikely, and safe to ask for a retry
            raise Conflict("Retry this request.", code="idempotency_request_in_progress") from None
        return _earlier(again)
    return Opened(return_id, claim=idempotency.Claim(f"{scope}:{request.key}", return_id))


def _earlier(earlier: idempotency.Claim | idempotency.Replay) -> Opened:
    if isinstance(earlier, idempotency.Replay):
        return Opened(None, replay=earlier)
    return Opened(earlier.resource_id, claim=earlier)


async def _insert(
    return_id: str,
    held: seller_orders.Returnable,
    request: OpenRequest,
    lines: list[tuple[seller_orders.DeliveredLine, int, int, int]],
) -> None:
    body = request.body
    refund_amount = sum(amount for _, _, amount, _ in lines)
    await fetch(
        "INSERT INTO order_return (id, seller_order_id, order_id, seller_id, account_id, status, reason_code, reason, "
        "photos, payment_method, refund_amount, created_at, updated_at) "
        "VALUES ($1, $2, $3, $4, $5, 'requested', $6, $7, $8::jsonb, $9, $10, now(), now())",
        return_id, held.seller_order_id, held.order_id, held.seller_id, request.account_id, body.reason_code,
        body.reason, msgspec.json.encode(body.photos).decode(), held.payment_method, refund_amount,
    )  # fmt: skip
    await fetch(
        "INSERT INTO order_return_line (return_id, order_line_id, variant_id, product_id, product_name, quantity, "
        "weight_g, amount) SELECT $1, * FROM unnest($2::varchar[], $3::varchar[], $4::varchar[], $5::varchar[], "
        "$6::int[], $7::int[], $8::bigint[])",
        return_id, [line.id for line, *_ in lines], [line.variant_id for line, *_ in lines],
        [line.product_id for line, *_ in lines], [line.product_name for line, *_ in lines],
        [quantity for _, quantity, _, _ in lines], [weight for *_, weight in lines],
        [amount for _, _, amount, _ in lines],
    )  # fmt: skip
    await fetch(
        "INSERT INTO order_return_transition (return_id, from_status, to_status, actor, reason, at) "
        "VALUES ($1, NULL, 'requested', $2, $3, now())",
        return_id, f"customer:{request.account_id}", body.reason,
    )  # fmt: skip
    await record("return.requested", {"return_id": return_id, "seller_order_id": held.seller_order_id,
                                      "order_id": held.order_id, "seller_id": held.seller_id,
                                      "refund_amount": refund_amount, "reason_code": body.reason_code})  # fmt: skip


@dataclass(frozen=True)
class ParcelContents:
    """What the return parcel carries, for the carrier: whose seller order, how heavy, what it is worth."""

    seller_order_id: str
    weight_g: int
    declared_value: int


async def parcel_contents(return_id: str) -> ParcelContents:
    rows = await fetch(
        "SELECT r.seller_order_id, r.refund_amount, coalesce(sum(l.weight_g), 0)::int AS weight_g FROM order_return r "
        "LEFT JOIN order_return_line l ON l.return_id = r.id WHERE r.id = $1 GROUP BY r.id",
        return_id,
    )
    row = rows[0]
    return ParcelContents(row["seller_order_id"], max(row["weight_g"], 1), row["refund_amount"])
