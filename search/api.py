"""The storefront's product search: `GET /api/v1/search`."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, get
from litestar.params import Parameter

from market.web.deps import ResourcesDep
from search.index import index_uid
from search.query import (
    CERTIFICATIONS,
    DEFAULT_PAGE_SIZE,
    FACET_CHOICES,
    MAX_PAGE,
    MAX_PAGE_SIZE,
    MAX_Q_LENGTH,
    SORTS,
    STORAGES,
    parse_query,
)
from search.schemas import SearchResult
from search.service import FacetCache, search_products
from search.suggest import DEFAULT_SUGGESTIONS, MAX_SUGGESTIONS, SuggestResult, parse_suggest, suggest

# Bounds and choices are documented in the schema here and enforced by `parse_query`, which answers every
# violation as one 422 problem naming the fields, with the same codes as the rest of the API.


def _doc(description: str, **schema: object) -> Any:
    """A query parameter's OpenAPI description, with bounds or choices for the schema only."""
    return Parameter(description=description, schema_extra=schema or None)


class SearchController(Controller):
    """Product search for storefront clients."""

    path = "/api/v1/search"
    tags = ["search"]

    @get(operation_id="search_products")
    async def search(
        self,
        resources: ResourcesDep,
        q: Annotated[str | None, _doc("Words to find, with or without diacritics.", maxLength=MAX_Q_LENGTH)] = None,
        category: Annotated[str | None, _doc("Category slug (sub-categories included) or path.")] = None,
        province: Annotated[int | None, _doc("Province code of origin.")] = None,
        certification: Annotated[
            list[str] | None, _doc(f"Certification, repeatable, any of them: {', '.join(CERTIFICATIONS)}.")
        ] = None,
        ocop_stars_min: Annotated[int | None, _doc("Fewest OCOP stars.", minimum=3, maximum=5)] = None,
        price_min: Annotated[int | None, _doc("Lowest price in đồng.", minimum=0)] = None,
        price_max: Annotated[int | None, _doc("Highest price in đồng.", minimum=0)] = None,
        in_stock: Annotated[bool | None, _doc("Only products in stock (or only those out of it).")] = None,
        pre_order: Annotated[bool | None, _doc("Only products open for pre-order.")] = None,
        seller: Annotated[str | None, _doc("Seller slug.")] = None,
        storage: Annotated[str | None, _doc("Storage.", enum=list(STORAGES))] = None,
        sort: Annotated[str, _doc("Order of the hits.", enum=list(SORTS))] = "relevance",
        page: Annotated[int, _doc("Page number.", minimum=1, maximum=MAX_PAGE)] = 1,
        page_size: Annotated[int, _doc("Hits per page.", minimum=1, maximum=MAX_PAGE_SIZE)] = DEFAULT_PAGE_SIZE,
        facets: Annotated[
            list[str] | None,
            _doc(
                "Facets to count, repeatable or comma-separated: a facet name, `price` (price statistics), `all` "
                "or `none`. Default: all on the first page, none on the others.",
                items={"type": "string", "enum": list(FACET_CHOICES)},
            ),
        ] = None,
    ) -> SearchResult:
        """Search public products by words and filters, with facet counts and the price range when asked.

        Words typed with diacritics match those diacritics ("dưa" is not "dứa"); words typed without match every
        reading. Every word must match: words matching no product answer no hits and `match: "none"`. In-stock
        products rank first, then relevance, then OCOP stars and the coming harvest.
        """
        query = parse_query(
            q=q,
            category=category,
            province=province,
            certification=certification,
            ocop_stars_min=ocop_stars_min,
            price_min=price_min,
            price_max=price_max,
            in_stock=in_stock,
            pre_order=pre_order,
            seller=seller,
            storage=storage,
            sort=sort,
            page=page,
            page_size=page_size,
            facets=facets,
        )
        settings = resources.settings
        cache = FacetCache(resources.redis, settings.redis_key_prefix, settings.search_facets_ttl_s)
        return await search_products(resources.meili, index_uid(settings.meili_index_prefix), query, cache)

    @get("/suggest", operation_id="suggest_search")
    async def suggestions(
        self,
        resources: ResourcesDep,
        q: Annotated[str | None, _doc("The words typed so far (required).", maxLength=MAX_Q_LENGTH)] = None,
        limit: Annotated[
            int | None, _doc(f"Most suggestions (default {DEFAULT_SUGGESTIONS}).", minimum=1, maximum=MAX_SUGGESTIONS)
        ] = None,
    ) -> SuggestResult:
        """Suggest category and product names for the words typed so far, the last one completed as a prefix.

        A missing or blank `q` is a 422 problem naming `q`.
        """
        words, chosen = parse_suggest(q, limit)
        uid = index_uid(resources.settings.meili_index_prefix)
        return await suggest(resources.meili, uid, words, chosen)
