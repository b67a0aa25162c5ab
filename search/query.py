"""A typed product search and its translation to Meilisearch.

Clients never send filter expressions: they send typed values, validated here, and the filter string is built
from them with every string quoted and escaped, so a value such as `x" OR seller_slug="y` is only ever compared
as a whole, literal value.
"""

from __future__ import annotations

from typing import Any, Final

import msgspec

from market.core.errors import FieldError, ValidationFailed
from market.core.text import nfc
from search.vietnamese import rewrite_query

CERTIFICATIONS: Final = ("vietgap", "globalgap", "organic", "ocop")
STORAGES: Final = ("ambient", "chilled", "frozen")
SORTS: Final = ("relevance", "price_asc", "price_desc", "newest", "harvest")

MAX_Q_LENGTH: Final = 200
MAX_TEXT_LENGTH: Final = 250  # slugs and category paths
MAX_PAGE: Final = 1000
MAX_PAGE_SIZE: Final = 100
DEFAULT_PAGE_SIZE: Final = 24
MIN_OCOP_STARS: Final = 3
MAX_OCOP_STARS: Final = 5
MAX_PRICE: Final = 10**12

FACETS: Final = (
    "category_path",
    "province_code",
    "certifications",
    "ocop_stars",
    "seller_slug",
    "in_stock",
    "pre_order",
    "storage",
)
"""Facets a search can count; `price_min` is also requested, for its min/max statistics only (facet "price")."""

PRICE_STATS_FACET: Final = "price_min"
PRICE_FACET: Final = "price"
FACET_CHOICES: Final = (*FACETS, PRICE_FACET, "all", "none")
"""What `facets=` accepts: facet names, "price" (the price statistics), "all" or "none"."""

HIT_ATTRIBUTES: Final = (
    "id",
    "slug",
    "name",
    "image",
    "category",
    "province",
    "province_code",
    "seller_id",
    "seller_slug",
    "seller_name",
    "price_min",
    "price_max",
    "in_stock",
    "pre_order",
    "certifications",
    "ocop_stars",
    "harvest_from",
)
"""What a hit shows; the description and the hashes stay in the index."""

_SORT_RULES: Final[dict[str, list[str]]] = {
    "relevance": [],
    "price_asc": ["price_min:asc"],
    "price_desc": ["price_min:desc"],
    "newest": ["created_at:desc"],
    "harvest": ["harvest_from:asc"],
}


class SearchQuery(msgspec.Struct, frozen=True, kw_only=True):
    """A validated search: build it with `parse_query`."""

    q: str | None = None
    category: str | None = None
    province: int | None = None
    certification: list[str] = msgspec.field(default_factory=list)
    ocop_stars_min: int | None = None
    price_min: int | None = None
    price_max: int | None = None
    in_stock: bool | None = None
    pre_order: bool | None = None
    seller: str | None = None
    storage: str | None = None
    sort: str = "relevance"
    page: int = 1
    page_size: int = DEFAULT_PAGE_SIZE
    facets: list[str] = msgspec.field(default_factory=list)
    """The facets counted (names of `FACETS`, and "price" for the price statistics); empty: none."""

    @property
    def search_q(self) -> str:
        """The words as sent to Meilisearch: typed with diacritics, encoded (`search.vietnamese`)."""
        return rewrite_query(self.q) if self.q else ""


class _Errors:
    def __init__(self) -> None:
        self.errors: list[FieldError] = []

    def add(self, field: str, code: str, message: str) -> None:
        self.errors.append(FieldError(field, code, message))

    def text(self, field: str, value: str | None, limit: int) -> str | None:
        if value is None:
            return None
        cleaned = nfc(value)
        if len(cleaned) > limit:
            self.add(field, "too_long", f"{field} must be at most {limit} characters.")
            return None
        return cleaned or None

    def bounded(self, field: str, value: int | None, low: int, high: int) -> int | None:
        if value is not None and not low <= value <= high:
            self.add(field, "out_of_range", f"{field} must be between {low} and {high}.")
            return None
        return value

    def choice(self, field: str, value: str | None, options: tuple[str, ...]) -> str | None:
        if value is None:
            return None
        cleaned = value.strip().lower()
        if cleaned not in options:
            self.add(field, "invalid_choice", f"{field} must be one of {', '.join(options)}.")
            return None
        return cleaned


def parse_query(
    *,
    q: str | None = None,
    category: str | None = None,
    province: int | None = None,
    certification: list[str] | None = None,
    ocop_stars_min: int | None = None,
    price_min: int | None = None,
    price_max: int | None = None,
    in_stock: bool | None = None,
    pre_order: bool | None = None,
    seller: str | None = None,
    storage: str | None = None,
    sort: str | None = None,
    page: int | None = None,
    page_size: int | None = None,
    facets: list[str] | None = None,
) -> SearchQuery:
    """Validate raw values into a `SearchQuery`; text is normalised to NFC and trimmed, empty text means absent.

    Facets are counted when asked (`facets=category_path&facets=price`, "all" or "none"); without `facets`, the
    first page counts them all and later pages none (a client paging on already has them).

    Raises:
        ValidationFailed: naming every field at fault (`too_long`, `out_of_range`, `invalid_choice`), including
            `price_max` below `price_min`.
    """
    check = _Errors()
    certifications: list[str] = []
    chosen_facets: list[str] = []
    for value in facets or ():
        for part in value.split(","):
            name = check.choice("facets", part, FACET_CHOICES)
            if name and name not in chosen_facets:
                chosen_facets.append(name)
    if facets is None:
        chosen_facets = ["all"] if (page or 1) == 1 else []
    if "all" in chosen_facets:
        chosen_facets = [*FACETS, PRICE_FACET]
    chosen_facets = [name for name in chosen_facets if name != "none"]
    for value in certification or ():
        chosen = check.choice("certification", value, CERTIFICATIONS)
        if chosen and chosen not in certifications:
            certifications.append(chosen)
    query = SearchQuery(
        q=check.text("q", q, MAX_Q_LENGTH),
        category=check.text("category", category, MAX_TEXT_LENGTH),
        province=check.bounded("province", province, 1, 999),
        certification=certifications,
        ocop_stars_min=check.bounded("ocop_stars_min", ocop_stars_min, MIN_OCOP_STARS, MAX_OCOP_STARS),
        price_min=check.bounded("price_min", price_min, 0, MAX_PRICE),
        price_max=check.bounded("price_max", price_max, 0, MAX_PRICE),
        in_stock=in_stock,
        pre_order=pre_order,
        seller=check.text("seller", seller, MAX_TEXT_LENGTH),
        storage=check.choice("storage", storage, STORAGES),
        sort=check.choice("sort", sort, SORTS) or "relevance",
        page=check.bounded("page", page, 1, MAX_PAGE) or 1,
        page_size=check.bounded("page_size", page_size, 1, MAX_PAGE_SIZE) or DEFAULT_PAGE_SIZE,
        facets=chosen_facets,
    )
    if query.price_min is not None and query.price_max is not None and query.price_min > query.price_max:
        check.add("price_max", "out_of_range", "price_max must not be below price_min.")
    if check.errors:
        raise ValidationFailed(check.errors)
    return query


def quote(value: str) -> str:
    """A Meilisearch filter string literal: double quotes, with backslashes and double quotes escaped."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build_filter(query: SearchQuery) -> str | None:
    """The filter expression of a query (conditions joined by AND), or None without any filter.

    A category is a slug (its products and those of all its sub-categories) or, as the `category_path` facet
    returns it, a path ("trai-cay/mang-cau").
    """
    conditions: list[str] = []
    if query.category is not None:
        attribute = "category_path" if "/" in query.category else "category_slugs"
        conditions.append(f"{attribute} = {quote(query.category)}")
    if query.province is not None:
        conditions.append(f"province_code = {int(query.province)}")
    if query.certification:
        conditions.append(f"certifications IN [{', '.join(quote(value) for value in query.certification)}]")
    if query.ocop_stars_min is not None:
        conditions.append(f"ocop_stars >= {int(query.ocop_stars_min)}")
    if query.price_min is not None:
        conditions.append(f"price_min >= {int(query.price_min)}")
    if query.price_max is not None:
        conditions.append(f"price_min <= {int(query.price_max)}")
    if query.in_stock is not None:
        conditions.append(f"in_stock = {'true' if query.in_stock else 'false'}")
    if query.pre_order is not None:
        conditions.append(f"pre_order = {'true' if query.pre_order else 'false'}")
    if query.seller is not None:
        conditions.append(f"seller_slug = {quote(query.seller)}")
    if query.storage is not None:
        conditions.append(f"storage = {quote(query.storage)}")
    return " AND ".join(conditions) or None


def meili_facets(query: SearchQuery) -> list[str]:
    """The facets Meilisearch is asked to count for the query ("price" is `price_min`'s statistics)."""
    return [PRICE_STATS_FACET if name == PRICE_FACET else name for name in query.facets]


def search_request(query: SearchQuery, *, with_facets: bool = True) -> dict[str, Any]:
    """The body of Meilisearch's search request for a query.

    Page-based pagination gives exact totals. Every word must match ("all"): a query whose words match nothing
    returns nothing rather than products matching only some of them (the API then answers `match: "none"`).
    Facets are requested only when the query asks for them and `with_facets` (false when they are cached).
    """
    body: dict[str, Any] = {
        "q": query.search_q,
        "page": query.page,
        "hitsPerPage": query.page_size,
        "attributesToRetrieve": list(HIT_ATTRIBUTES),
        "matchingStrategy": "all",
    }
    if with_facets and query.facets:
        body["facets"] = meili_facets(query)
    query_filter = build_filter(query)
    if query_filter:
        body["filter"] = query_filter
    sort = _SORT_RULES[query.sort]
    if sort:
        body["sort"] = sort
    return body
