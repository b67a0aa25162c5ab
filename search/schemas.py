"""What the search API answers, as msgspec Structs."""

from __future__ import annotations

import msgspec

from search.query import SearchQuery


class SellerRef(msgspec.Struct, kw_only=True):
    """The seller of a hit."""

    id: str
    slug: str
    name: str
    object: str = "seller"


class ProductHit(msgspec.Struct, kw_only=True):
    """One product found; prices are the cheapest and dearest active variants, in đồng."""

    id: str
    slug: str
    name: str
    image: str | None
    category: str
    province: str | None
    province_code: int
    seller: SellerRef
    price_min: int | None
    price_max: int | None
    in_stock: bool
    pre_order: bool
    certifications: list[str]
    ocop_stars: int | None
    harvest_from: str | None
    """First harvest day of a pre-order variant, `YYYY-MM-DD`."""
    currency: str = "VND"
    object: str = "product"


class PriceStats(msgspec.Struct, kw_only=True):
    """Lowest and highest `price_min` among all hits (not only this page); null without hits."""

    min: int | None = None
    max: int | None = None


class SearchResult(msgspec.Struct, kw_only=True):
    """A page of hits with the facet counts and price range of the whole result (those asked for)."""

    query: SearchQuery
    page: int
    page_size: int
    total_hits: int
    total_pages: int
    hits: list[ProductHit]
    facets: dict[str, dict[str, int]]
    """Counts of the facets asked for (`facets=`; by default all on the first page, none after it)."""
    price_stats: PriceStats
    """Null bounds unless the "price" facet was asked for (or by default on the first page)."""
    match: str = "all"
    """"all": every hit matches every word of `q` (or there is no `q`); "none": the words match no product, and
    no nearer, looser match is offered in their place."""
    search_q: str = ""
    """The words as Meilisearch searched them: words typed with diacritics (or as Telex) encoded as letters."""
    object: str = "search_result"
