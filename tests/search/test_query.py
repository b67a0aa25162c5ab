"""Typed queries: validated with stable field codes, translated to a filter with every string escaped."""

from __future__ import annotations

import pytest

from market.core.errors import ValidationFailed
from search.query import build_filter, parse_query, quote, search_request


def field_codes(error: ValidationFailed) -> dict[str, str]:
    return {item.field: item.code for item in error.errors}


def test_defaults_ask_for_the_first_page_by_relevance_with_every_facet() -> None:
    body = search_request(parse_query())
    assert body["q"] == ""
    assert body["page"] == 1
    assert body["hitsPerPage"] == 24
    assert "filter" not in body
    assert "sort" not in body
    assert set(body["facets"]) >= {"category_path", "province_code", "certifications", "ocop_stars", "price_min"}


def test_strings_are_quoted_and_escaped() -> None:
    assert quote('x" OR seller_slug="y') == r'"x\" OR seller_slug=\"y"'
    assert quote("a\\") == r'"a\\"'


def test_every_filter_is_typed() -> None:
    query = parse_query(
        category="trai-cay/mang-cau",
        province=80,
        certification=["vietgap", "OCOP", "vietgap"],
        ocop_stars_min=4,
        price_min=10_000,
        price_max=100_000,
        in_stock=True,
        pre_order=False,
        seller='htx"',
        storage="chilled",
    )
    assert build_filter(query) == (
        'category_path = "trai-cay/mang-cau" AND province_code = 80 AND certifications IN ["vietgap", "ocop"] '
        "AND ocop_stars >= 4 AND price_min >= 10000 AND price_min <= 100000 AND in_stock = true "
        'AND pre_order = false AND seller_slug = "htx\\"" AND storage = "chilled"'
    )


def test_a_category_slug_matches_its_subcategories_through_their_slugs() -> None:
    assert build_filter(parse_query(category="trai-cay")) == 'category_slugs = "trai-cay"'


@pytest.mark.parametrize(
    ("sort", "expected"),
    [("price_asc", ["price_min:asc"]), ("price_desc", ["price_min:desc"]), ("newest", ["created_at:desc"])],
)
def test_sorts(sort: str, expected: list[str]) -> None:
    assert search_request(parse_query(sort=sort))["sort"] == expected


def test_blank_text_is_no_filter() -> None:
    query = parse_query(q="  ", category="", seller=" ")
    assert (query.q, query.category, query.seller) == (None, None, None)


def test_every_invalid_field_is_named_with_its_code() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_query(
            q="x" * 201,
            certification=["vietgap", "fairtrade"],
            ocop_stars_min=2,
            price_min=-1,
            storage="warm",
            sort="cheapest",
            page=1001,
            page_size=0,
        )
    assert field_codes(caught.value) == {
        "q": "too_long",
        "certification": "invalid_choice",
        "ocop_stars_min": "out_of_range",
        "price_min": "out_of_range",
        "storage": "invalid_choice",
        "sort": "invalid_choice",
        "page": "out_of_range",
        "page_size": "out_of_range",
    }


def test_price_min_above_price_max_is_refused() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse_query(price_min=100_000, price_max=50_000)
    assert field_codes(caught.value) == {"price_max": "out_of_range"}
