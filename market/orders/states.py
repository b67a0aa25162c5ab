"""The seller order's lifecycle: the only moves its status can make.

pending_payment -> confirmed -> packing -> packed -> handed_over -> in_transit -> delivered -> completed, with
cancelled (before handover), delivery_failed -> returning -> returned, and refunded (after money came in).
"""

from __future__ import annotations

TRANSITIONS: dict[str, frozenset[str]] = {
    "pending_payment": frozenset({"confirmed", "cancelled"}),
    "confirmed": frozenset({"packing", "cancelled"}),
    "packing": frozenset({"packed", "cancelled"}),
    "packed": frozenset({"handed_over", "cancelled"}),
    "handed_over": frozenset({"in_transit", "delivered", "delivery_failed"}),
    "in_transit": frozenset({"delivered", "delivery_failed"}),
    "delivered": frozenset({"completed", "refunded"}),
    "delivery_failed": frozenset({"in_transit", "returning"}),
    "returning": frozenset({"returned"}),
    "returned": frozenset({"refunded"}),
    "completed": frozenset({"refunded"}),
    "cancelled": frozenset({"refunded"}),
    "refunded": frozenset(),
}

STATUSES = tuple(TRANSITIONS)
BEFORE_HANDOVER = frozenset({"pending_payment", "confirmed", "packing", "packed"})
"""Where a seller order still holds reserved stock and can be cancelled."""
MOVING = frozenset({"confirmed", "packing", "packed", "handed_over", "in_transit", "delivery_failed", "returning"})
"""Where a seller order is still on its way to the buyer (or back): its order is open."""
GONE = frozenset({"cancelled", "returned", "refunded"})
"""Where the buyer owes nothing for a seller order (never shipped, sent back, or its money given back)."""
FINAL = frozenset({"completed", "cancelled", "returned", "refunded"})

ORDER_STATUSES = ("pending_payment", "open", "delivered", "completed", "returned", "refunded", "cancelled")
"""An order's status, derived from its seller orders' by `order_status` (see the README's tables)."""


def sources(target: str) -> list[str]:
    """The statuses a seller order may move to `target` from."""
    return sorted(status for status, targets in TRANSITIONS.items() if target in targets)


def order_status(statuses: list[str]) -> str:
    """An order's status from its seller orders': the least advanced part decides while any is under way.

    pending_payment while any awaits its card payment; open while any is moving; delivered while any waits out
    its return window; then, ignoring the cancelled parts, completed when any part completed, refunded when every
    part was refunded, returned when the rest came back; cancelled when every part was cancelled.
    """
    if "pending_payment" in statuses:
        return "pending_payment"
    if any(status in MOVING for status in statuses):
        return "open"
    if "delivered" in statuses:
        return "delivered"
    kept = [status for status in statuses if status != "cancelled"]
    if not kept:
        return "cancelled"
    if "completed" in kept:
        return "completed"
    if all(status == "refunded" for status in kept):
        return "refunded"
    return "returned"
