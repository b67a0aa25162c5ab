"""Event handlers that mark products for re-indexing; the worker imports this module to register them.

They are transactional: the mark is written in the same transaction as the handler's receipt, so a redelivered
event marks nothing twice, and they never call Meilisearch themselves (`search.indexer.IndexSync` does).
"""

from __future__ import annotations

from typing import Any

import structlog

from market.catalog.documents import product_ids_of_seller
from market.catalog.events import PRODUCT_EVENTS, SELLER_EVENTS
from market.core.events import Event, HandlerRegistry, registry
from search.indexer import mark_pending

log = structlog.get_logger(__name__)

MARK_PRODUCT = "search.mark_product"
MARK_SELLER_PRODUCTS = "search.mark_seller_products"


def _product_ids(payload: dict[str, Any]) -> list[str]:
    ids: list[str] = []
    single = payload.get("product_id")
    if isinstance(single, str) and single:
        ids.append(single)
    many = payload.get("product_ids")
    if isinstance(many, list):
        ids.extend(item for item in many if isinstance(item, str) and item)
    return ids


async def mark_product(event: Event) -> None:
    """Mark the product(s) the event names."""
    ids = _product_ids(event.payload)
    if not ids:
        # Raising would make the worker retry an event that can never succeed; the payload is the producer's bug.
        log.warning("search_event_without_product", event_id=event.id, event_type=event.type)
        return
    await mark_pending(ids)


async def mark_seller_products(event: Event) -> None:
    """Mark every product of the seller the event names (approval, suspension and renames change them all)."""
    seller_id = event.payload.get("seller_id")
    if not isinstance(seller_id, str) or not seller_id:
        log.warning("search_event_without_seller", event_id=event.id, event_type=event.type)
        return
    await mark_pending(await product_ids_of_seller(seller_id))


def register(handlers: HandlerRegistry) -> None:
    """Register both handlers, once per event type, on a registry."""
    for event_type in PRODUCT_EVENTS:
        handlers.on(event_type, name=MARK_PRODUCT, transactional=True)(mark_product)
    for event_type in SELLER_EVENTS:
        handlers.on(event_type, name=MARK_SELLER_PRODUCTS, transactional=True)(mark_seller_products)


register(registry)
