"""Low-stock thresholds: a seller sets one per variant; a fall to it is told once."""

from __future__ import annotations

from typing import Any

from market.core.db import fetch
from market.core.errors import NotFound


async def crossed(alert: dict[str, Any]) -> bool:
    """Move the alert's `below` flag to what stock says; True when it just fell (a conditional update, so two
    events racing tell the seller once)."""
    below = alert["available"] <= alert["threshold"]
    rows = await fetch(
        "UPDATE stock_alert SET below = $2, updated_at = now() WHERE variant_id = $1 AND below <> $2 RETURNING below",
        alert["variant_id"], below,
    )  # fmt: skip
    return bool(rows) and below


async def set_threshold(seller_id: str, variant_id: str, threshold: int | None) -> dict[str, Any] | None:
    """Set (or, with None, remove) the threshold of one of the seller's variants; 404 for another's."""
    owned = await fetch("SELECT id FROM variant WHERE id = $1 AND seller = $2", variant_id, seller_id)
    if not owned:
        raise NotFound("No such variant.")
    if threshold is None:
        await fetch("DELETE FROM stock_alert WHERE variant_id = $1", variant_id)
        return None
    await fetch(
        "INSERT INTO stock_alert (variant_id, seller_id, threshold, below, updated_at) "
        "VALUES ($1, $2, $3, false, now()) "
        "ON CONFLICT (variant_id) DO UPDATE SET threshold = $3, below = false, updated_at = now()",
        variant_id, seller_id, threshold,
    )  # fmt: skip
    rows = await fetch(
        "SELECT a.*, greatest(coalesce(sl.on_hand, 0) - coalesce(sl.reserved, 0), 0) AS available FROM stock_alert a "
        "LEFT JOIN stock_level sl ON sl.variant_id = a.variant_id WHERE a.variant_id = $1", variant_id,
    )  # fmt: skip
    return dict(rows[0])


async def list_thresholds(seller_id: str, limit: int, after: str | None) -> list[dict[str, Any]]:
    rows = await fetch(
        "SELECT a.*, greatest(coalesce(sl.on_hand, 0) - coalesce(sl.reserved, 0), 0) AS available FROM stock_alert a "
        "LEFT JOIN stock_level sl ON sl.variant_id = a.variant_id WHERE a.seller_id = $1 AND ($2::varchar IS NULL OR "
        "a.variant_id > $2) ORDER BY a.variant_id LIMIT $3",
        seller_id, after, limit + 1,
    )  # fmt: skip
    return [dict(row) for row in rows]
