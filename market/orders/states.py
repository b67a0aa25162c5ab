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
FINAL = frozenset({"completed", "cancelled", "returned", "refunded"})


def sources(target: str) -> list[str]:
    """The statuses a seller order may move to `target` from."""
    return sorted(status for status, targets in TRANSITIONS.items() if target in targets)


def order_status(statuses: list[str]) -> str:
    """An order's status, from its seller orders': awaiting payment, open, completed or cancelled."""
    if any(status == "pending_payment" for status in statuses):
        return "pending_payment"
    if all(status in ("cancelled", "refunded") for status in statuses):
        return "cancelled"
    if all(status in FINAL for status in statuses):
        return "completed"
    return "open"
