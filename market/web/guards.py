"""One guard for every input a request carries, before any handler, dependency or database sees it.

Per route (its plan is worked out once, from the handler's signature), the guard refuses:
- control characters (NUL included) in path parameters, query parameters and header values: 422 naming the
  parameter. PostgreSQL cannot store a NUL in text, and nothing a person types contains one;
- in a JSON body: a body that is not `application/json` (415 `unsupported_media_type`), nesting deeper than
  `MAX_DEPTH` (400 `nesting_too_deep`), malformed JSON (400 `malformed_request`), control characters other than tab,
  newline and carriage return in any string (422 `control_character`, naming the field: `lines[0].note`), a
  missing body where the operation needs one (422 naming the required fields), and numbers sent as strings: the
  body is decoded with msgspec's `strict=True` into the handler's type (`"18000"` is not a price);
- query integers that are not plain digits (`page=1e3`, `limit=10.0`: 422 `invalid_type`; Litestar's lenient
  conversion would read them as numbers).
The body size limit is Litestar's `request_max_body_size` (413 `request_too_large`), set in `create_app`.

The decoded body is handed to Litestar (its connection cache), so a body is parsed once, strictly, here.
Text is still composed to NFC by the services, as before (`market.core.text.nfc`).
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import partial
from typing import Any
from urllib.parse import parse_qsl

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.params import BodyKwarg, ParameterKwarg
from litestar.types import Scope
from litestar.utils.scope.state import ScopeState

from market.core.errors import DomainError, FieldError, ValidationFailed

MAX_BODY_BYTES = 1024 * 1024
MAX_DEPTH = 32
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
"""Not in a path, query or header value we read: C0 (tab included), DEL and C1."""
_TEXT_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
"""Not in JSON text: as above, but tab, newline and carriage return are text."""
_HEADER_CONTROL = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
"""RFC 9110 field values: visible characters, spaces and tabs (and obs-text, bytes 0x80-0xFF)."""
_HEADER_CONTROL_BYTES = bytes([*range(0x00, 0x09), *range(0x0A, 0x20), 0x7F])
"""The bytes `_HEADER_CONTROL` finds, for `bytes.translate`."""
_SUSPECT_BODY = re.compile(rb"\\u00[01][0-9a-fA-F]|\\u00[89][0-9a-fA-F]|\\u007[fF]|\\[bf]|\x7f|\xc2[\x80-\x9f]")
"""A JSON body that may hold a control character in a string (escaped, or DEL and C1 as they are): only such a
body is walked string by string."""
_JSON_STRING = re.compile(rb'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKET = re.compile(rb"[^\[\]{}]+")
_EMPTY_PAIR = re.compile(rb"\[\]|\{\}")
_DIGITS = re.compile(r"-?[0-9]{1,18}")
_JSON_MEDIA = re.compile(r"application/(?:[a-z0-9.+-]+\+)?json")
_NOT_HERE = "Control characters (such as NUL) are not allowed here."
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_PATH = re.compile(r" - at `\$(.*)`$")


class UnsupportedMediaType(DomainError):
    """A JSON operation got a body of another media type."""

    status = 415
    code = "unsupported_media_type"
    title = "Unsupported media type"


@dataclass(frozen=True)
class _Plan:
    """What the guard checks on one route."""

    int_query: frozenset[str]
    body_type: Any = None
    body_required: bool = False


def _plan_of(handler: HTTPRouteHandler) -> _Plan:
    int_query: set[str] = set()
    body_type, body_required = None, False
    dependencies = handler.resolve_dependencies()
    signatures = [handler.parsed_fn_signature, *(d.parsed_fn_signature for d in dependencies.values())]
    for signature in signatures:
        for name, field in signature.parameters.items():
            kwarg = field.kwarg_definition
            if name == "data":
                media = kwarg.media_type if isinstance(kwarg, BodyKwarg) else RequestEncodingType.JSON
                if media == RequestEncodingType.JSON:
                    body_type, body_required = field.annotation, not (field.is_optional or field.has_default)
            elif name not in dependencies and _is_int(field.annotation):
                alias = kwarg.query if isinstance(kwarg, ParameterKwarg) else None
                if not (isinstance(kwarg, ParameterKwarg) and (kwarg.header or kwarg.cookie)):
                    int_query.add(alias or name)
    return _Plan(frozenset(int_query), body_type, body_required)


def _is_int(annotation: Any) -> bool:
    return annotation is int or (int in getattr(annotation, "__args__", ()) and bool not in annotation.__args__)


_plans: weakref.WeakKeyDictionary[HTTPRouteHandler, _Plan] = weakref.WeakKeyDictionary()


def _plan_for(handler: HTTPRouteHandler) -> _Plan:
    """The handler's plan, made once per handler; Litestar's own OPTIONS handlers (plain `HTTPRouteHandler`s, whose
    slots take no weak reference) get theirs made each time (they take no body and few parameters)."""
    try:
        plan = _plans.get(handler)
    except TypeError:
        return _plan_of(handler)
    if plan is None:
        plan = _plans[handler] = _plan_of(handler)
    return plan


async def guard_request(request: Request[Any, Any, Any]) -> None:
    """The app's `before_request` hook: it runs once a route matched (the route's middleware, sessions and CSRF
    included, has run) and before any parameter is parsed or dependency resolved; what it raises is rendered as a
    problem. A hook, not a middleware: it adds no layer to the routes that had none (the health checks). A
    `before_request` set on a router, controller or handler would replace it there: none may be but
    `guard_then(...)`, which runs this first (a unit test checks every route)."""
    scope = request.scope
    if scope.get("query_string") or _suspect(scope):
        errors = _parameter_errors(scope, _plan_for(request.route_handler))
        if errors:
            raise ValidationFailed(errors)
    if scope["method"] in _BODY_METHODS:
        plan = _plan_for(request.route_handler)
        if plan.body_type is not None:
            await _guard_body(request, plan)


def _suspect(scope: Scope) -> bool:
    """Whether the path or a header value may hold a control character: the common case (no) in well under a
    microsecond. A printable path holds none (control characters are not printable; what else is not printable,
    a no-break space, say, is looked at closely); header bytes are checked by deleting the forbidden ones."""
    if not scope["path"].isprintable():
        return True
    values = b"".join([value for _, value in scope["headers"]])
    return len(values.translate(None, _HEADER_CONTROL_BYTES)) != len(values)


def _parameter_errors(scope: Scope, plan: _Plan) -> list[FieldError]:
    headers, query_string = scope["headers"], scope.get("query_string")
    path_params: dict[str, Any] = scope.get("path_params") or {}
    errors = [
        FieldError(name, "control_character", _NOT_HERE)
        for name, value in path_params.items()
        if isinstance(value, str) and _CONTROL.search(value)
    ]
    for name, value in parse_qsl((query_string or b"").decode("latin-1"), keep_blank_values=True):
        if _CONTROL.search(name) or _CONTROL.search(value):
            errors.append(FieldError(_CONTROL.sub("?", name), "control_character", _NOT_HERE))
        elif name in plan.int_query and not _DIGITS.fullmatch(value):
            errors.append(FieldError(name, "invalid_type", "Expected an integer, in plain digits."))
    for raw_name, raw_value in headers:
        if _HEADER_CONTROL.search(raw_value):
            header = "-".join(part.capitalize() for part in raw_name.decode("latin-1").split("-"))
            errors.append(FieldError(header, "control_character", "Control characters are not allowed in headers."))
    return errors


Answer = Callable[[Request[Any, Any, Any]], Awaitable[Any]]


def guard_then(answer: Answer) -> Callable[..., Awaitable[Any]]:
    """A route's own `before_request` (which replaces the app's): the guard, then `answer(request)`. What `answer`
    returns is the response, and Litestar then skips the handler and the parsing of its parameters (a fifth of
    the cost of a cached product page); so `answer` reads only what the guard has checked (a `str` path
    parameter from `request.path_params`, say), and the handler stays the route's documentation and does the
    same."""
    return partial(_guard_then, answer)


async def _guard_then(answer: Answer, request: Request[Any, Any, Any]) -> Any:
    await guard_request(request)
    return await answer(request)


async def _guard_body(request: Request[Any, Any, Any], plan: _Plan) -> None:
    body = await request.body()  # Litestar's limit (413) applies; the body stays cached for the handler
    if not body.strip():
        if plan.body_required:
            _decode(b"{}", plan.body_type)  # names the required fields
            raise ValidationFailed([FieldError("body", "required", "This operation needs a JSON body.")])
        return
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if not _JSON_MEDIA.fullmatch(media_type):
        raise UnsupportedMediaType(f"Send the body as application/json (not {media_type or 'without a type'}).")
    if _too_deep(body):
        raise DomainError(f"JSON nested deeper than {MAX_DEPTH} levels is not accepted.", code="nesting_too_deep")
    if _SUSPECT_BODY.search(body):
        errors = _text_errors(_decode(body, Any))
        if errors:
            raise ValidationFailed(errors)
    ScopeState.from_scope(request.scope).json = _decode(body, plan.body_type)


def _too_deep(body: bytes) -> bool:
    """Whether the brackets of the document (strings taken out) nest deeper than MAX_DEPTH; each pass of the
    regular expression takes out the innermost level, so this costs at most MAX_DEPTH passes over the skeleton."""
    skeleton = _NOT_BRACKET.sub(b"", _JSON_STRING.sub(b"", body))
    if len(skeleton) <= 2 * MAX_DEPTH:
        return False
    for _ in range(MAX_DEPTH):
        skeleton, removed = _EMPTY_PAIR.subn(b"", skeleton)
        if not skeleton or not removed:
            return False  # flat enough, or unbalanced (the decoder says malformed)
    return bool(skeleton)


def _decode(body: bytes, target: Any) -> Any:
    try:
        return msgspec.json.decode(body, type=target, strict=True)
    except RecursionError:
        raise DomainError("JSON nested too deep.", code="nesting_too_deep") from None
    except msgspec.ValidationError as exc:
        message = str(exc)
        found = _PATH.search(message)
        key = found.group(1).lstrip(".") if found else ""
        raise ValidationException(
            detail="Validation failed", extra=[{"key": key, "message": _PATH.sub("", message)}]
        ) from None
    except msgspec.DecodeError as exc:
        raise DomainError(f"The body is not valid JSON: {exc}.", code="malformed_request") from None


def _text_errors(document: Any) -> list[FieldError]:
    """Every string (keys included) holding a control character, by its path; iterative, so depth costs no stack."""
    errors: list[FieldError] = []
    stack: list[tuple[Any, str]] = [(document, "")]
    while stack:
        value, path = stack.pop()
        if isinstance(value, str):
            if _TEXT_CONTROL.search(value):
                errors.append(FieldError(path or "body", "control_character",
                                         "Control characters (such as NUL) are not allowed in text."))  # fmt: skip
        elif isinstance(value, dict):
            for key, item in value.items():
                if _TEXT_CONTROL.search(key):
                    errors.append(FieldError(path or "body", "control_character", "Control characters in a key."))
                stack.append((item, f"{path}.{key}" if path else key))
        elif isinstance(value, list):
            stack.extend((item, f"{path}[{index}]") for index, item in enumerate(value))
    return sorted(errors, key=lambda error: error.field)
