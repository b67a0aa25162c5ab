"""`/schema/openapi.json` is a contract a generated client can trust: valid OpenAPI 3.1, every response the server
sends typed (problem+json for errors, with the registry's codes), security per operation, unique readable names,
descriptions, required headers required, `Location` on 201."""

from __future__ import annotations

import collections
import re
from typing import Any

import httpx
import msgspec
import pytest
from openapi_spec_validator import validate

from market.accounts import schemas as accounts
from market.cart import schemas as cart
from market.catalog import schemas as catalog
from market.checkout import schemas as checkouts
from market.core import codes
from market.sellers import schemas as sellers
from tests.buyers import mobile_buyer, seller_with_products
from tests.factories import bearer
from tests.shoppers import checkout, fill_cart, variant_ids

METHODS = ("get", "put", "post", "delete", "patch")
PROBLEM = "application/problem+json"


@pytest.fixture(scope="module")
async def document(client: httpx.AsyncClient) -> dict[str, Any]:
    answer = await client.get("/schema/openapi.json")
    assert answer.status_code == 200
    return dict(answer.json())


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (path, method, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]


def test_the_document_is_valid_openapi_3_1(document: dict[str, Any]) -> None:
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_component_names_are_unique_and_readable(document: dict[str, Any]) -> None:
    schemas = document["components"]["schemas"]
    titles = collections.Counter(schema.get("title", name) for name, schema in schemas.items())
    assert [title for title, count in titles.items() if count > 1] == []
    assert [name for name in schemas if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", name)] == []
    assert {"OrderPage", "SellerAddressOut", "OrderAddressOut", "AccountAddressOut", "Problem"} <= set(schemas)


def test_every_operation_has_a_description_summary_and_security(document: dict[str, Any]) -> None:
    missing = [
        (method, path)
        for path, method, operation in operations(document)
        if not operation.get("description") or not operation.get("summary") or "security" not in operation
    ]
    assert missing == []


def test_security_follows_each_route_s_guard(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    assert {"buyerBearer", "buyerSession", "csrfToken", "sellerSession", "sellerApiKey", "operatorToken"} <= set(
        schemes
    )
    paths = document["paths"]
    assert paths["/api/v1/products"]["get"]["security"] == []
    assert paths["/api/v1/orders"]["get"]["security"] == [{"buyerBearer": []}, {"buyerSession": []}]
    assert {"buyerSession": [], "csrfToken": []} in paths["/api/v1/me/addresses"]["post"]["security"]
    assert {} in paths["/api/v1/carts/current"]["get"]["security"]  # a guest's cart needs no sign-in
    assert paths["/seller/v1/products"]["post"]["security"] == [
        {"sellerApiKey": ["catalog:write"]},
        {"sellerSession": []},
    ]
    assert paths["/seller/v1/api-keys"]["post"]["security"] == [{"sellerSession": []}]  # the owner's only
    assert paths["/admin/v1/orders"]["get"]["security"] == [{"operatorToken": []}]


def test_every_error_is_a_typed_problem_with_its_registered_codes(document: dict[str, Any]) -> None:
    registered = {entry.code: entry for entry in codes.PROBLEMS}
    for path, method, operation in operations(document):
        for status, response in operation["responses"].items():
            if int(status) < 400:
                continue
            content = response["content"]
            assert list(content) == [PROBLEM], (method, path, status)
            assert content[PROBLEM]["schema"] == {"$ref": "#/components/schemas/Problem"}
            listed = list(content[PROBLEM]["examples"])
            assert listed, (method, path, status)
            assert all(int(status) in registered[code].statuses for code in listed), (method, path, status)


def test_no_litestar_default_error_body_anywhere(document: dict[str, Any]) -> None:
    text = str(document)
    assert "status_code" not in text and "'extra'" not in text


def test_operations_list_the_problems_they_can_return(document: dict[str, Any]) -> None:
    def problems(path: str, method: str) -> dict[str, list[str]]:
        responses = document["paths"][path][method]["responses"]
        return {
            status: list(response["content"][PROBLEM]["examples"])
            for status, response in responses.items()
            if int(status) >= 400
        }

    checkout = problems("/api/v1/checkout", "post")
    assert "out_of_stock" in checkout["409"] and "idempotency_key_missing" in checkout["400"]
    assert checkout["429"] == ["rate_limited"] and checkout["503"] == ["dependency_unavailable"]
    assert "csrf_failed" in checkout["403"] and "unsupported_media_type" in checkout["415"]
    assert problems("/admin/v1/orders", "get")["401"] == ["not_authenticated"]
    assert "insufficient_scope" in problems("/seller/v1/products", "post")["403"]
    assert "404" in problems("/api/v1/products/{slug}", "get")
    assert "401" not in problems("/api/v1/products", "get")
    assert problems("/webhooks/carriers/{carrier}", "post")["401"] == ["invalid_signature"]
    sign_in = problems("/api/v1/sessions", "post")
    assert sign_in["401"] == ["invalid_credentials", "invalid_cart_token"] and "429" in sign_in
    assert sign_in["409"] == ["already_exists"]  # no address book or seller codes: its service raises none
    assert problems("/seller/v1/sessions", "post")["403"] == ["not_a_member"]
    assert "invalid_signature" not in str(problems("/admin/v1/cod-remittances", "post"))  # only the webhooks'
    assert problems("/webhooks/stripe", "post")["400"] == ["invalid_signature"]
    for path, method, operation in operations(document):
        if path not in ("/health/live", "/metrics"):
            assert "503" in operation["responses"], (method, path)
        if "security" in operation and operation["security"] and {} not in operation["security"]:
            assert "401" in operation["responses"], (method, path)


def test_every_success_answer_has_a_schema(document: dict[str, Any]) -> None:
    bare = [
        (method, path)
        for path, method, operation in operations(document)
        for status, response in operation["responses"].items()
        if status in ("200", "201") and "content" not in response and path != "/metrics"
    ]
    assert bare == []
    detail = document["paths"]["/api/v1/products/{slug}"]["get"]["responses"]["200"]
    assert detail["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/ProductDetail"}


def test_headers_required_when_required_and_never_nullable(document: dict[str, Any]) -> None:
    for path, method, operation in operations(document):
        for parameter in operation.get("parameters", []):
            assert "null" not in str(parameter["schema"]), (method, path, parameter["name"])
            if parameter["name"] == "Idempotency-Key":
                assert parameter["required"] is True, (method, path)
    checkout = {p["name"]: p for p in document["paths"]["/api/v1/checkout"]["post"]["parameters"]}
    assert checkout["Cart-Token"]["required"] is False and checkout["Cart-Token"]["schema"]["type"] == "string"


def test_every_201_documents_location(document: dict[str, Any]) -> None:
    created = [(method, path, op) for path, method, op in operations(document) if "201" in op["responses"]]
    assert len(created) >= 10
    for method, path, operation in created:
        assert operation["responses"]["201"]["headers"]["Location"]["required"] is True, (method, path)


async def test_201_answers_send_location(client: httpx.AsyncClient, seller: dict[str, Any]) -> None:
    cart = await client.post("/api/v1/carts")
    assert cart.status_code == 201 and cart.headers["location"] == "/api/v1/carts/current"
    key = await client.post(
        "/seller/v1/api-keys", json={"name": "pos", "scopes": ["orders:read"]}, headers=bearer(seller["session"])
    )
    assert key.status_code == 201, key.text
    assert key.headers["location"] == f"/seller/v1/api-keys/{key.json()['id']}"


def test_the_main_request_bodies_have_examples_the_server_accepts(document: dict[str, Any]) -> None:
    structs = {
        "RegistrationIn": accounts.RegistrationIn,
        "AccountLoginIn": accounts.LoginIn,
        "SellerLoginIn": sellers.LoginIn,
        "AccountAddressIn": accounts.AddressIn,
        "LineIn": cart.LineIn,
        "CheckoutIn": checkouts.CheckoutIn,
        "ProductIn": catalog.ProductIn,
    }
    schemas = document["components"]["schemas"]
    for name, struct in structs.items():
        (example,) = schemas[name]["examples"]
        msgspec.convert(example, struct)  # raises when the example breaks the body's rules


async def test_a_replayed_checkout_names_its_order_in_location(
    client: httpx.AsyncClient, operator: str, categories: None
) -> None:
    shop = await seller_with_products(client, operator, [{}])
    kg, _ = variant_ids(shop["products"][0])
    buyer = await mobile_buyer(client)
    await fill_cart(client, buyer["headers"], [(kg, 1)])
    first = await checkout(client, buyer["headers"], key="location-1")
    again = await checkout(client, buyer["headers"], key="location-1")
    assert first.status_code == again.status_code == 201, first.text
    assert again.headers["idempotent-replayed"] == "true"
    assert first.headers["location"] == again.headers["location"] == f"/api/v1/orders/{first.json()['id']}"
