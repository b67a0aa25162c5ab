"""Reading the delivery log (operators) and low-stock thresholds (sellers)."""

from __future__ import annotations

from typing import Any

from market.core.db import fetch
from market.core.errors import NotFound
from market.core.pagination import Page, decode_cursor, encode_cursor, page_of
from market.notifications import alerts
from market.notifications.schemas import DeliveryOut, ThresholdOut, delivery_out, threshold_out

LIST_SQL = """
SELECT * FROM notification_delivery
WHERE ($1::varchar IS NULL OR status = $1) AND ($2::varchar IS NULL OR recipient = $2)
  AND ($3::varchar IS NULL OR order_id = $3) AND ($4::varchar IS NULL OR kind = $4)
  AND ($5::varchar IS NULL OR id < $5)
ORDER BY id DESC LIMIT $6
"""


async def list_deliveries(
    status: str | None, recipient: str | None, order_id: str | None, kind: str | None, limit: int, cursor: str | None
) -> Page[DeliveryOut]:
    """The log, newest first (ids sort by creation)."""
    after = str(decode_cursor(cursor, 1)[0]) if cursor else None
    rows = await fetch(LIST_SQL, status, recipient, order_id, kind, after, limit + 1)
    page = page_of([dict(row) for row in rows], limit, lambda row: encode_cursor(row["id"]))
    return page.map(delivery_out)


async def get_delivery(delivery_id: str) -> DeliveryOut:
    rows = await fetch("SELECT * FROM notification_delivery WHERE id = $1", delivery_id)
    if not rows:
        raise NotFound("No such notification delivery.")
    return delivery_out(dict(rows[0]))


async def list_thresholds(seller_id: str, limit: int, cursor: str | None) -> Page[ThresholdOut]:
    after = str(decode_cursor(cursor, 1)[0]) if cursor else None
    rows: list[dict[str, Any]] = await alerts.list_thresholds(seller_id, limit, after)
    page = page_of(rows, limit, lambda row: encode_cursor(row["variant_id"]))
    return page.map(threshold_out)
