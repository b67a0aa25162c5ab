"""RFC 9457 problem+json for every error the API answers.

Each problem carries `type`, `title`, `status`, `detail`, a stable `code` for programs and the `request_id`;
validation problems add `errors: [{field, code, message}]`. A 500 is always a bug: it is logged with its traceback
and answered without internals.
"""

from __future__ import annotations

import re
from typing import Any

import asyncpg
import redis.exceptions
import structlog
from litestar import Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.types import ExceptionHandlersMap
from meilisearch_python_sdk.errors import MeilisearchCommunicationError, MeilisearchTimeoutError

from market.core import codes
from market.core.errors import DependencyUnavailable, DomainError, FieldError, ValidationFailed
from market.web.observability import request_id_of

PROBLEM_MEDIA_TYPE = "application/problem+json"
log = structlog.get_logger(__name__)


# msgspec's validation messages, mapped to the stable field error codes clients translate.
_FIELD_CODES = (
    ("Object contains unknown field", "unknown_field"),
    ("Object missing required field", "required"),
    ("Expected `", "invalid_type"),
    ("Invalid enum value", "invalid_choice"),
)
_NAMED_FIELD = re.compile(r"^Object (?:contains unknown|missing required) field `([^`]+)`")
_RANGE = re.compile(r"Expected `\w+` (?:of length )?[<>]=? ")


def problem(
    request: Request[Any, Any, Any] | None,
    *,
    status: int,
    code: str,
    detail: str,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    """Build one problem+json response."""
    body: dict[str, Any] = {
        "type": f"urn:market:problem:{code}",
        "title": title or _title(code, status),
        "status": status,
        "detail": detail,
        "code": code,
        "request_id": request_id_of(request.scope) if request is not None else None,
        **extra,
    }
    return Response(body, status_code=status, media_type=PROBLEM_MEDIA_TYPE, headers=headers)


def _title(code: str, status: int) -> str:
    try:
        return codes.problem_code(code).title
    except codes.UnregisteredCode:
        return codes.generic(status).title


def _domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    extra = dict(exc.extra)
    headers = None
    if isinstance(exc, ValidationFailed):
        extra["errors"] = [_field_dict(error) for error in exc.errors]
    if exc.retry_after_s is not None:
        headers = {"Retry-After": str(exc.retry_after_s)}
    return problem(
        request,
        status=exc.status,
        code=exc.code,
        title=exc.title,
        detail=exc.detail,
        headers=headers,
        **extra,
    )


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    generic = codes.generic(status)
    code, title = generic.code, generic.title
    headers = dict(exc.headers or {})
    if status == 429 and "Retry-After" not in headers:
        headers["Retry-After"] = str(headers.get("RateLimit-Reset") or 1)
    if isinstance(exc, ValidationException) and isinstance(exc.extra, list) and exc.extra:
        errors = [_litestar_field_error(item) for item in exc.extra if isinstance(item, dict)]
        if errors:
            return problem(
                request,
                status=422,
                code="validation_failed",
                detail=f"Invalid value for {', '.join(error['field'] for error in errors)}.",
                errors=errors,
            )
    detail = exc.detail if exc.detail and exc.detail != title else title
    return problem(request, status=status, code=code, title=title, detail=detail, headers=headers or None)


def _dependency_down(dependency: str) -> Any:
    def handler(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
        log.warning("dependency_unavailable", dependency=dependency, error=repr(exc))
        return _domain_error(request, DependencyUnavailable(dependency))

    return handler


_POSTGRES_UNAVAILABLE = (
    OSError,
    asyncpg.exceptions.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,  # the server is full: a capacity outage, not a bug of the request
)


def _unique_violation(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    """Two requests raced for the same unique value (a SKU, a slug, an identifier): the loser gets a 409.

    Services check uniqueness first and answer with a precise code; this is the database's last word when two
    requests pass that check at the same moment, so a race is never a 500.
    """
    log.info("unique_violation", constraint=getattr(exc, "constraint_name", None))
    return problem(
        request,
        status=409,
        code="already_exists",
        detail="Something with the same unique value was just created; check and retry.",
    )


def _internal_error(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    if isinstance(exc, _POSTGRES_UNAVAILABLE):
        response: Response[dict[str, Any]] = _dependency_down("postgres")(request, exc)
        return response
    log.exception("unhandled_error", path=request.url.path, exc_info=exc)
    return problem(request, status=500, code="internal_error", detail="An unexpected error occurred.")


def _litestar_field_error(item: dict[str, Any]) -> dict[str, str]:
    message = str(item.get("message", "invalid value"))
    path = str(item.get("key") or "")
    path = "" if path in ("data", "body") else path
    named = _NAMED_FIELD.match(message)
    if named:  # msgspec names unknown and missing fields in the message, relative to the object at `path`
        path = f"{path}.{named.group(1)}" if path else named.group(1)
    return {"field": path or "body", "code": _field_code(message), "message": message}


def _field_code(message: str) -> str:
    if _RANGE.match(message):
        return "out_of_range"
    for prefix, code in _FIELD_CODES:
        if message.startswith(prefix):
            return code
    return "invalid"


def _field_dict(error: FieldError) -> dict[str, str]:
    return {"field": error.field, "code": error.code, "message": error.message}


exception_handlers: ExceptionHandlersMap = {
    DomainError: _domain_error,
    asyncpg.UniqueViolationError: _unique_violation,
    HTTPException: _http_error,
    redis.exceptions.ConnectionError: _dependency_down("redis"),
    redis.exceptions.TimeoutError: _dependency_down("redis"),
    MeilisearchCommunicationError: _dependency_down("meilisearch"),
    MeilisearchTimeoutError: _dependency_down("meilisearch"),
    Exception: _internal_error,
}
