"""Bulk stock and price updates: up to 1,000 items, each validated and applied atomically on its own."""

from __future__ import annotations

from datetime import UTC, datetime

from market.catalog.schemas import BulkError, BulkItemIn, BulkItemResult, BulkUpdateOut
from market.catalog.tables import Variant
from market.core.db import transaction
from market.core.errors import DomainError
from market.core.outbox.service import record
from market.inventory import service as inventory


async def bulk_update(seller_id: str, items: list[BulkItemIn]) -> BulkUpdateOut:
    """Apply each item in its own transaction; one item failing never undoes or blocks another."""
    results = [await _apply(seller_id, index, item) for index, item in enumerate(items)]
    updated = sum(result.status == "updated" for result in results)
    return BulkUpdateOut(updated=updated, failed=len(results) - updated, results=results)


def _failed(index: int, item: BulkItemIn, code: str, field: str, message: str) -> BulkItemResult:
    return BulkItemResult(
        index, "failed", item.sku, item.variant_id, error=BulkError(code, f"items[{index}].{field}", message)
    )


async def _apply(seller_id: str, index: int, item: BulkItemIn) -> BulkItemResult:
    if (item.sku is None) == (item.variant_id is None):
        return _failed(index, item, "sku_or_variant_id", "sku", "Give exactly one of sku and variant_id.")
    if item.stock is None and item.price is None:
        return _failed(index, item, "nothing_to_update", "stock", "Give stock, price or both.")
    match = (Variant.sku_key == f"{seller_id}:{item.sku}") if item.sku else (Variant.id == item.variant_id)
    columns = (Variant.id, Variant.product, Variant.sku, Variant.compare_at_price)
    variant = await Variant.select(*columns).where((Variant.seller == seller_id) & match)
    if not variant:
        field = "sku" if item.sku else "variant_id"
        return _failed(index, item, "not_found", field, "No such variant of this seller.")
    row = variant[0]
    if item.price is not None and row["compare_at_price"] is not None and row["compare_at_price"] <= item.price:
        return _failed(index, item, "not_below_compare_at_price", "price", "Must stay below the compare-at price.")
    try:
        async with transaction():
            stock = await inventory.set_on_hand(row["id"], item.stock) if item.stock is not None else None
            if item.price is not None:
                await (
                    Variant.update({Variant.price: item.price, Variant.updated_at: datetime.now(UTC)})
                    .where(Variant.id == row["id"])
                    .run()
                )
            event = "variant.updated" if item.price is not None else "stock.updated"
            await record(event, {"product_id": row["product"], "variant_id": row["id"]})
    except DomainError as exc:
        return _failed(index, item, exc.code, "stock", exc.detail)
    return BulkItemResult(index, "updated", row["sku"], row["id"], price=item.price, stock=stock)
