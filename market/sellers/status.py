"""A seller's verification status: operators approve, suspend and reinstate it, always with the reason kept.

Every move is one transaction: the conditional status update, its history row (with the reason, reinstatement
included), the outbox event (the storefront and search follow it) and the operator's audit event. The seller
reads its own history at `GET /seller/v1/seller/status-history`, operators at
`GET /admin/v1/sellers/{id}/status-history`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from market.audit import service as audit
from market.core import clock
from market.core.db import fetch, transaction
from market.core.errors import Conflict, NotFound, field_error
from market.core.ids import new_id
from market.core.outbox.service import record
from market.sellers.tables import Seller

# status -> action -> new status. Reinstating returns a suspended seller to approved.
TRANSITIONS: dict[str, dict[str, str]] = {
    "pending": {"approve": "approved"},
    "approved": {"suspend": "suspended"},
    "suspended": {"reinstate": "approved"},
}
EVENTS = {"approve": "seller.approved", "suspend": "seller.suspended", "reinstate": "seller.reinstated"}
NEEDS_REASON = ("suspend", "reinstate")


@dataclass(frozen=True)
class StatusChange:
    """One move of a seller between statuses, as its history keeps it."""

    change_id: str
    position: int
    from_status: str
    to_status: str
    reason: str | None
    actor: str
    at: datetime


async def transition(seller_id: str, action: str, reason: str | None, actor: str) -> Seller:
    """Approve (a reason is optional), suspend or reinstate (a reason is required); an illegal move is a 409
    naming the current status, and leaves nothing written. `actor` is who acts (`operator:opr_...`)."""
    if action in NEEDS_REASON and not reason:
        raise field_error("reason", "required", f"To {action} a seller needs a reason.")
    async with transaction():
        rows = await fetch("SELECT status FROM seller WHERE id = $1 FOR UPDATE", seller_id)
        if not rows:
            raise NotFound("No such seller.")
        current = rows[0]["status"]
        target = TRANSITIONS.get(current, {}).get(action)
        if target is None:
            raise Conflict(
                f"A {current} seller cannot be {action}d.", code="illegal_transition", current_status=current
            )
        now = clock.now()
        await fetch(
            "UPDATE seller SET status = $2, status_reason = $3, updated_at = $4, version = version + 1 "
            "WHERE id = $1 AND status = $5",
            seller_id, target, reason, now, current,
        )  # fmt: skip
        await fetch(
            "INSERT INTO seller_status_change (change_id, seller, from_status, to_status, reason, actor, at) "
            "VALUES ($1, $2, $3, $4, $5, $6, $7)",
            new_id("ssc"), seller_id, current, target, reason, actor, now,
        )  # fmt: skip
        await record(EVENTS[action], {"seller_id": seller_id, "actor": actor})
        details = {"from_status": current, "to_status": target}
        await audit.record(actor, EVENTS[action], "seller", seller_id, reason=reason, details=details)
    seller = await Seller.objects().where(Seller.id == seller_id).first().run()
    assert seller is not None
    return seller


async def history(seller_id: str, before: int | None, limit: int) -> list[StatusChange]:
    """The seller's status changes, newest first (`limit` rows after the keyset `before`); 404 for no seller."""
    if not await Seller.exists().where(Seller.id == seller_id).run():
        raise NotFound("No such seller.")
    rows = await fetch(
        "SELECT id, change_id, from_status, to_status, reason, actor, at FROM seller_status_change "
        "WHERE seller = $1 AND ($2::bigint IS NULL OR id < $2) ORDER BY id DESC LIMIT $3",
        seller_id, before, limit,
    )  # fmt: skip
    fields = ("change_id", "id", "from_status", "to_status", "reason", "actor", "at")
    return [StatusChange(*(row[name] for name in fields)) for row in rows]
