"""Catalog event handlers: drop the cached product detail when anything it shows changes."""

from __future__ import annotations

from market.catalog.events import PRODUCT_EVENTS, SELLER_EVENTS
from market.catalog.storefront import detail_cache_keys
from market.catalog.tables import Product
from market.core.events import Event, registry
from market.core.resources import current


async def _drop(slugs: list[str]) -> None:
    resources = current()
    if slugs:
        prefix = resources.settings.redis_key_prefix
        await resources.redis.delete(*(key for slug in slugs for key in detail_cache_keys(prefix, slug)))


async def drop_product_cache(event: Event) -> None:
    """Idempotent: deleting a cache entry twice changes nothing."""
    ids = event.payload.get("product_ids") or [event.payload["product_id"]]
    rows = await Product.select(Product.slug).where(Product.id.is_in(ids)).run()
    await _drop([row["slug"] for row in rows])


async def drop_seller_cache(event: Event) -> None:
    rows = await Product.select(Product.slug).where(Product.seller == event.payload["seller_id"]).run()
    await _drop([row["slug"] for row in rows])


for _type in PRODUCT_EVENTS:
    registry.on(_type, name="catalog.drop_product_cache", transactional=False)(drop_product_cache)
for _type in SELLER_EVENTS:
    registry.on(_type, name="catalog.drop_seller_cache", transactional=False)(drop_seller_cache)
