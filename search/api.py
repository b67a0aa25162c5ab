"""The storefront's product search: `GET /api/v1/search`."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Request, get
from litestar.params import Parameter

from market.core.resources import Resources
from market.web.deps import ResourcesDep
from market.web.guards import guard_then
from market.web.responses import EncodedJSON
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
from search.suggest import (
    DEFAULT_SUGGESTIONS,
    MAX_SUGGESTIONS,
    SuggestCache,
    SuggestResult,
    parse_suggest,
    suggest,
    suggest_bytes,
)
from search.suggest_index import suggest_uid

# Bounds and choices are documented in the schema here and enforced by `parse_query`, which answers every
# violation as one 422 problem naming the fields, with the same codes as the rest of the API.


async def _suggest_page(request: Request[Any, Any, Any]) -> EncodedJSON:
    """Suggestions, the box's every keystroke: without DI or Litestar's parameter parsing (the guard has checked
    `limit` is plain digits), the answer from the process's cache when it holds it, sent as encoded."""
    resources: Resources = request.app.state.resources
    state = request.app.state
    cache: SuggestCache | None = getattr(state, "suggest_cache", None)
    if cache is None:
        cache = state.suggest_cache = SuggestCache(resources.settings.search_suggest_ttl_s)
    params = request.query_params
    limit = params.get("limit")
    words, chosen = parse_suggest(params.get("q"), None if limit is None else int(limit))
    uid = suggest_uid(resources.settings.meili_index_prefix)
    return EncodedJSON(await suggest_bytes(resources.meili, uid, words, chosen, cache))


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

    @get("/suggest", operation_id="suggest_search", before_request=guard_then(_suggest_page))
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
        # The route's before_request answers (the guard first, then `_suggest_page`, from the cache); this is
        # what it does, uncached, and the route's documentation.
        words, chosen = parse_suggest(q, limit)
        return await suggest(resources.meili, suggest_uid(resources.settings.meili_index_prefix), words, chosen)
