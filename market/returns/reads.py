"""Reading returns for buyers, sellers and operators: each with its lines, refund, return parcel and history, in a
fixed number of queries per page (plus one per order for its refunds). Newest first by id; the cursor is the last
id served."""

from __future__ import annotations

import json
from typing import Any

from market.core.db import fetch
from market.core.pagination import Page, decode_cursor, encode_cursor, page_of
from market.core.schemas import rfc3339
from market.payments import service as payments
from market.returns.schemas import ReturnLineOut, ReturnOut, ReturnParcelOut, ReturnRefundOut, ReturnTransitionOut
from market.returns.service import Owner, current
from market.shipping import service as shipping

Row = dict[str, Any]


def _refund_out(row: Row, refunds: dict[str, Row]) -> ReturnRefundOut:
    refund = refunds.get(row["refund_id"] or "")
    method = "card" if row["payment_method"] == "card" and (refund is None or refund["payment_id"]) else "bank_transfer"
    status = refund["status"] if refund is not None else "not_requested"
    return ReturnRefundOut(row["refund_amount"], method, status, row["refund_id"])


def _parcel_out(parcel: Row | None) -> ReturnParcelOut | None:
    if parcel is None:
        return None
    return ReturnParcelOut(parcel["id"], parcel["status"], parcel["tracking_code"], parcel["label_url"])


async def returns_out(rows: list[Row]) -> list[ReturnOut]:
    """Full views of these returns."""
    if not rows:
        return []
    ids = [row["id"] for row in rows]
    lines = await fetch("SELECT * FROM order_return_line WHERE return_id = ANY($1::varchar[]) ORDER BY id", ids)
    history = await fetch("SELECT * FROM order_return_transition WHERE return_id = ANY($1::varchar[]) ORDER BY id", ids)
    parcels = await shipping.return_parcels(ids)
    refunds: dict[str, Row] = {}
    for order_id in sorted({row["order_id"] for row in rows if row["refund_id"]}):
        refunds.update({refund["id"]: refund for refund in await payments.refunds_of(order_id)})
    return [
        ReturnOut(
            id=row["id"], order_id=row["order_id"], seller_order_id=row["seller_order_id"], seller_id=row["seller_id"],
            status=row["status"], reason_code=row["reason_code"], reason=row["reason"], photos=_photos(row["photos"]),
            lines=[ReturnLineOut(line["order_line_id"], line["variant_id"], line["product_id"], line["product_name"],
                                 line["quantity"], line["amount"]) for line in lines if line["return_id"] == row["id"]],
            refund=_refund_out(row, refunds), parcel=_parcel_out(parcels.get(row["id"])),
            refusal_reason=row["refusal_reason"], dispute_reason=row["dispute_reason"],
            decision_reason=row["decision_reason"],
            history=[ReturnTransitionOut(step["from_status"], step["to_status"], step["actor"], step["reason"],
                                         rfc3339(step["at"])) for step in history if step["return_id"] == row["id"]],
            created_at=rfc3339(row["created_at"]), updated_at=rfc3339(row["updated_at"]),
        )
        for row in rows
    ]  # fmt: skip


def _photos(value: Any) -> list[str]:
    return list(json.loads(value) if isinstance(value, str) else value)


async def get_return(return_id: str, owner: Owner) -> ReturnOut:
    """One return; another buyer's or seller's is a 404."""
    return (await returns_out([await current(return_id, owner)]))[0]


async def list_returns(
    owner: Owner, limit: int, cursor: str | None, status: str | None = None, order_id: str | None = None
) -> Page[ReturnOut]:
    """The owner's returns (every return for an operator), newest first, filtered by status or order."""
    before = decode_cursor(cursor, 1)[0] if cursor else None
    rows = await fetch(
        "SELECT * FROM order_return WHERE ($1::varchar IS NULL OR account_id = $1) "
        "AND ($2::varchar IS NULL OR seller_id = $2) AND ($3::varchar IS NULL OR status = $3) "
        "AND ($4::varchar IS NULL OR order_id = $4) AND ($5::varchar IS NULL OR id < $5) ORDER BY id DESC LIMIT $6",
        owner.account_id, owner.seller_id, status, order_id, before, limit + 1,
    )  # fmt: skip
    page = page_of([dict(row) for row in rows], limit, lambda row: encode_cursor(row["id"]))
    return Page(await returns_out(page.data), page.has_more, page.next_cursor)
