"""Events that change what the catalog shows buyers (the detail cache and the search index follow them)."""

from __future__ import annotations

PRODUCT_EVENTS = (
    "product.created",
    "product.updated",
    "product.submitted",
    "product.approved",
    "product.rejected",
    "product.taken_down",
    "product.reinstated",
    "product.archived",
    "variant.created",
    "variant.updated",
    "variant.archived",
    "variant.harvested",
    "stock.updated",
)
"""Events whose payload names the product(s) they change: `product_id`, or `product_ids` (a list)."""

SELLER_EVENTS = ("seller.approved", "seller.suspended", "seller.reinstated", "seller.updated")
"""Events whose payload names a seller (`seller_id`): every product of the seller changes."""
