"""Operators' moderation of listings: approve or reject a product under review, take an active product down, and
reinstate one taken down.

A take-down (`active -> taken_down`) is for a live listing that breaks the rules (a false origin, an expired
certificate shown as valid, a forbidden product). The product leaves the storefront, carts and search at once
(through the catalog's outbox events), and its seller reads `status: taken_down` and the operator's reason
(`rejection_reason`). From there, either the seller fixes the listing (edits stay allowed) and submits it again,
which sends it to review like a rejected product (`taken_down -> pending_review`), or an operator who took it down
in error reinstates it with a reason (`taken_down -> active`). The seller can also archive it.

Every move is one transaction with its outbox event and its audit event (`product.approved`, `product.rejected`,
`product.taken_down`, `product.reinstated`), whose reason is the operator's words.
"""

from __future__ import annotations

from dataclasses import dataclass

from market.audit import service as audit
from market.catalog.service import _move
from market.catalog.tables import Product
from market.core.db import transaction
from market.core.errors import field_error


@dataclass(frozen=True)
class Move:
    """One moderation action: the status it leaves, the one it reaches, its event, whether it needs a reason and
    whether the seller reads that reason on the product afterwards."""

    from_status: str
    to_status: str
    event: str
    needs_reason: bool
    seller_reads_reason: bool


MODERATION: dict[str, Move] = {
    "approve": Move("pending_review", "active", "product.approved", False, False),
    "reject": Move("pending_review", "rejected", "product.rejected", True, True),
    "take_down": Move("active", "taken_down", "product.taken_down", True, True),
    "reinstate": Move("taken_down", "active", "product.reinstated", True, False),
}


async def moderate(product_id: str, action: str, reason: str | None, actor: str) -> Product:
    """Apply one moderation action for `actor` (`operator:opr_...`); an illegal move is a 409 naming the current
    status and leaves nothing written, an unknown product a 404."""
    move = MODERATION[action]
    if move.needs_reason and not reason:
        raise field_error("reason", "required", "This action needs a reason.")
    shown = reason if move.seller_reads_reason else None
    async with transaction():
        product = await _move(product_id, None, (move.from_status,), move.to_status, move.event, shown)
        details = {"seller_id": product.seller, "from_status": move.from_status, "to_status": move.to_status}
        await audit.record(actor, move.event, "product", product_id, reason=reason, details=details)
    return product


async def list_for_moderation(status: str | None, before: str | None, limit: int) -> list[Product]:
    """Products of every seller, newest first (e.g. the `pending_review` queue), `limit + 1` rows."""
    query = Product.objects().order_by(Product.id, ascending=False).limit(limit + 1)
    if status:
        query = query.where(Product.status == status)
    if before:
        query = query.where(Product.id < before)
    return list(await query.run())
