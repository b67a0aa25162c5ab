"""The OpenAPI 3.1 document as the contract generated clients trust (`/schema/openapi.json`).

Litestar builds the document from the handlers; `refine` completes it from what the app knows and Litestar does
not: the problem responses of each operation with their codes (`problems`), the security schemes and each
operation's requirement (`security`), readable unique component names (`names`), descriptions and summaries from
the docstrings, required headers marked required and optional ones not nullable, `Location` on 201 answers.
`install` makes the app serve the refined document (and its documentation pages render it).
"""

from __future__ import annotations

import copy
import inspect
from typing import Any

from litestar import Litestar
from litestar._openapi.plugin import OpenAPIPlugin

from market.web.openapi.examples import add_examples
from market.web.openapi.names import rename_components
from market.web.openapi.problems import FIELD_PROBLEM_SCHEMA, PROBLEM_SCHEMA, problem_responses
from market.web.openapi.routes import Route, routes_of
from market.web.openapi.security import SCHEMES, requirement

METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_REQUIRED_HEADERS = {"Idempotency-Key"}
"""Headers every operation that takes them requires (the handler answers the precise code when one is missing)."""
_FALLBACK_DESCRIPTIONS = {("/metrics", "get"): "Prometheus metrics, in the text exposition format."}
_TEXT_ANSWERS = {("/metrics", "get")}
"""Operations whose 200 is plain text (Prometheus' exposition format), not JSON."""
LOCATION_HEADER = {
    "description": "The URL of what the request created.",
    "required": True,
    "schema": {"type": "string"},
}


class ContractOpenAPIPlugin(OpenAPIPlugin):
    """Litestar's OpenAPI plugin, serving the refined document."""

    __slots__ = ()

    def provide_openapi_schema(self) -> dict[str, Any]:
        if not self._openapi_schema:
            self._openapi_schema = refine(self.app, self.provide_openapi().to_schema())
        return self._openapi_schema


def install(app: Litestar) -> None:
    """Serve the refined document: the app's OpenAPI plugin becomes a `ContractOpenAPIPlugin` (same state)."""
    plugin = app.plugins.get(OpenAPIPlugin)
    plugin.__class__ = ContractOpenAPIPlugin


def document(app: Litestar) -> dict[str, Any]:
    """The document the app serves at `/schema/openapi.json`."""
    return app.plugins.get(OpenAPIPlugin).provide_openapi_schema()


def refine(app: Litestar, generated: dict[str, Any]) -> dict[str, Any]:
    """The complete document from the one Litestar generated (left unchanged)."""
    refined = copy.deepcopy(generated)
    rename_components(refined)
    components = refined.setdefault("components", {})
    components.setdefault("schemas", {}).update(Problem=PROBLEM_SCHEMA, FieldProblem=FIELD_PROBLEM_SCHEMA)
    components["securitySchemes"] = SCHEMES
    routes = routes_of(app)
    for path, item in refined.get("paths", {}).items():
        for method, operation in item.items():
            route = routes.get((path, method))
            if method in METHODS and route is not None:
                _refine_operation(path, method, operation, route)
    add_examples(refined)
    return refined


def _refine_operation(path: str, method: str, operation: dict[str, Any], route: Route) -> None:
    description = inspect.cleandoc(route.docstring) if route.docstring else _FALLBACK_DESCRIPTIONS.get((path, method))
    if description:
        operation["description"] = description
        operation["summary"] = _summary(description)
    for parameter in operation.get("parameters", []):
        _refine_parameter(parameter)
    operation["security"] = requirement(route, method)
    responses = operation.setdefault("responses", {})
    for status in [status for status, response in responses.items() if _litestar_default(response)]:
        del responses[status]
    responses.update(problem_responses(path, method, operation, route))
    if "201" in responses:
        responses["201"].setdefault("headers", {})["Location"] = LOCATION_HEADER
    if (path, method) in _TEXT_ANSWERS and "200" in responses:
        responses["200"]["content"] = {"text/plain": {"schema": {"type": "string"}}}
    for media_type, media in responses.get("200", {}).get("content", {}).items():
        if media_type.startswith("image/"):  # images (the VietQR codes) are bytes to generated clients
            media["schema"] = {"type": "string", "format": "binary"}


def _summary(description: str) -> str:
    first = description.split("\n\n")[0].replace("\n", " ")
    sentence = first.split(". ")[0].rstrip(".")
    return sentence if len(sentence) <= 100 else sentence[:97].rstrip() + "..."


def _refine_parameter(parameter: dict[str, Any]) -> None:
    if parameter.get("in") == "header" and parameter.get("name") in _REQUIRED_HEADERS:
        parameter["required"] = True
        description = parameter.get("description", "").removeprefix("Required: ")
        parameter["description"] = description[:1].upper() + description[1:]
        parameter.get("schema", {}).pop("description", None)
    if "schema" in parameter:
        parameter["schema"] = _not_nullable(parameter["schema"])


def _not_nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema without its `null` alternative: an absent parameter is how one says "none"."""
    alternatives = schema.get("oneOf") or schema.get("anyOf")
    if alternatives:
        kept = [alternative for alternative in alternatives if alternative.get("type") != "null"]
        if len(kept) == 1:
            rest = {key: value for key, value in schema.items() if key not in ("oneOf", "anyOf")}
            return {**kept[0], **rest}
        return {**schema, ("oneOf" if "oneOf" in schema else "anyOf"): kept}
    if isinstance(schema.get("type"), list) and "null" in schema["type"]:
        types = [kind for kind in schema["type"] if kind != "null"]
        return {**schema, "type": types[0] if len(types) == 1 else types}
    return schema


def _litestar_default(response: dict[str, Any]) -> bool:
    """Litestar's own `{status_code, detail, extra}` error body, which the server never sends."""
    for media in response.get("content", {}).values():
        properties = media.get("schema", {}).get("properties", {})
        if {"status_code", "detail", "extra"} <= set(properties):
            return True
    return False
