"""Each operation's problem responses, typed (`application/problem+json`, the `Problem` component), with the
codes from the registry (`market.core.codes`) it can answer.

Which statuses an operation can answer follows from its shape: any request can be malformed (400), a body or
parameters invalid (422), a body too large (413) or not JSON (415); a guard refuses without credentials (401), a
seller's scope or role (403) or a cookie without its CSRF token (403); a path names something that may not exist (404);
a write can meet a state that forbids it (409); sign-in, registration and guest checkout are rate limited (429);
everything that reads a dependency can find it down (503). The codes of a status are the generic one, the codes
tied to a parameter the operation takes (`Idempotency-Key`, `Cart-Token`, `cursor`), and, for writes, the codes
its context raises (`ProblemCode.contexts`).
"""

from __future__ import annotations

from typing import Any

from market.core import codes
from market.web.openapi.routes import PROBLEMS, Route
from market.web.openapi.security import authenticated, cookie_writes
from market.web.problems import PROBLEM_MEDIA_TYPE

PROBLEM_REF = "#/components/schemas/Problem"
_TIED = {
    "idempotency_key_missing": "Idempotency-Key",
    "idempotency_key_invalid": "Idempotency-Key",
    "idempotency_key_reused": "Idempotency-Key",
    "idempotency_request_in_progress": "Idempotency-Key",
    "invalid_cart_token": "Cart-Token",
    "invalid_cursor": "cursor",
}
"""Codes answered exactly by the operations that take a parameter."""
_BY_GUARD = {"csrf_failed", "owner_only", "insufficient_scope", "not_authenticated", "rate_limited",
             "dependency_unavailable", "request_too_large", "unsupported_media_type"}  # fmt: skip
"""Codes decided by the operation's shape, not its context."""
_UNDOCUMENTED = {"internal_error", "method_not_allowed", "bad_request", "operator_exists", "forbidden"}
"""A 500 is a bug, a 405 is no operation, `bad_request` has no raiser of its own, `operator_exists` is the CLI's,
and `forbidden` is never raised without a precise code."""
_OWN = {"invalid_signature"}
"""Codes listed only by the operations that name them (`PROBLEMS`): the webhooks."""
_NO_DEPENDENCY = {("/health/live", "get"), ("/metrics", "get")}


def problem_responses(path: str, method: str, operation: dict[str, Any], route: Route) -> dict[str, Any]:
    """The operation's problem responses, by status."""
    listed = _codes_for(path, method, operation, route)
    by_status: dict[int, list[codes.ProblemCode]] = {}
    for code in listed:
        status = _status_for(code, route)
        by_status.setdefault(status, []).append(code)
    return {str(status): _response(status, entries) for status, entries in sorted(by_status.items())}


def _codes_for(path: str, method: str, operation: dict[str, Any], route: Route) -> list[codes.ProblemCode]:
    parameters = {parameter["name"] for parameter in operation.get("parameters", [])}
    path_parameters = any(parameter["in"] == "path" for parameter in operation.get("parameters", []))
    body = "requestBody" in operation
    write = method not in ("get", "head", "options")
    wanted: set[str] = set()
    if body or parameters:
        wanted |= {"malformed_request", "validation_failed"}
    if body:
        wanted.add("request_too_large")
        if "application/json" in operation["requestBody"].get("content", {}):
            wanted.add("unsupported_media_type")
    if authenticated(route):
        wanted.add("not_authenticated")
    if cookie_writes(route, method):
        wanted.add("csrf_failed")
    if route.guard == "seller":
        wanted.add("owner_only" if route.opt.get("owner") else "insufficient_scope")
    if path_parameters or route.guard != "public":
        wanted.add("not_found")
    if write and body:
        wanted.add("already_exists")
    if route.rate_limited:
        wanted.add("rate_limited")
    if (path, method) not in _NO_DEPENDENCY:
        wanted.add("dependency_unavailable")
    own = route.opt.get(PROBLEMS)
    if own is not None:
        wanted |= {codes.problem_code(code).code for code in own}
    for entry in codes.PROBLEMS:
        tied = _TIED.get(entry.code)
        if tied is not None:
            if tied in parameters:
                wanted.add(entry.code)
        elif own is None and write and route.context in entry.contexts and entry.code not in _BY_GUARD | _OWN:
            wanted.add(entry.code)
    return [entry for entry in codes.PROBLEMS if entry.code in wanted - _UNDOCUMENTED]


def _status_for(code: codes.ProblemCode, route: Route) -> int:
    """The status this operation answers the code with (a code sent with two statuses: by context)."""
    if code.code == "invalid_signature" and route.context == "shipping":
        return 401
    return code.status


def _response(status: int, entries: list[codes.ProblemCode]) -> dict[str, Any]:
    listed = ", ".join(f"`{entry.code}`" for entry in entries)
    response: dict[str, Any] = {
        "description": f"{entries[0].title if len(entries) == 1 else codes.generic(status).title}: {listed}.",
        "content": {
            PROBLEM_MEDIA_TYPE: {
                "schema": {"$ref": PROBLEM_REF},
                "examples": {entry.code: _example(status, entry) for entry in entries},
            }
        },
    }
    if status in (429, 503):
        response["headers"] = {"Retry-After": {
            "description": "Seconds to wait before trying again.", "required": True,
            "schema": {"type": "integer", "minimum": 1},
        }}  # fmt: skip
    return response


def _example(status: int, entry: codes.ProblemCode) -> dict[str, Any]:
    value: dict[str, Any] = {
        "type": f"urn:market:problem:{entry.code}",
        "title": entry.title,
        "status": status,
        "detail": entry.when[0].upper() + entry.when[1:] + ".",
        "code": entry.code,
        "request_id": "6f1c2b0e9d8a4c3b8e7f6a5d4c3b2a19",
    }
    if entry.code == "validation_failed":
        value["errors"] = [{"field": "price", "code": "below_minimum", "message": "Must be at least 1000."}]
    return {"summary": entry.when, "value": value}


PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "An RFC 9457 problem: clients act on `code` (see the README's codes table); `detail` is for "
    "people. Some problems carry more members (`current_status`, `variants`, `dependency`, ...).",
    "required": ["type", "title", "status", "detail", "code"],
    "properties": {
        "type": {"type": "string", "description": "`urn:market:problem:<code>`."},
        "title": {"type": "string", "description": "The code's title."},
        "status": {"type": "integer", "description": "The HTTP status."},
        "detail": {"type": "string", "description": "What happened, in English, for people."},
        "code": {"type": "string", "enum": sorted(entry.code for entry in codes.PROBLEMS)},
        "request_id": {"type": ["string", "null"], "description": "The request's `X-Request-ID`."},
        "errors": {
            "type": "array",
            "description": "The fields at fault (validation problems).",
            "items": {"$ref": "#/components/schemas/FieldProblem"},
        },
    },
    "additionalProperties": True,
}
FIELD_PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "FieldProblem",
    "type": "object",
    "required": ["field", "code", "message"],
    "properties": {
        "field": {"type": "string", "description": "The path of the field: `variants[0].price`, `Idempotency-Key`."},
        "code": {"type": "string", "enum": sorted(entry.code for entry in codes.FIELD_CODES)},
        "message": {"type": "string"},
    },
}
