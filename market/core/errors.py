"""Domain errors with stable, machine-readable codes.

Services raise these with a code from the registry (`market.core.codes`), which gives each its HTTP status and
title; the HTTP layer (`market.web.problems`) turns them into RFC 9457 problem+json. Clients translate by `code`,
never by `detail`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from market.core import codes


@dataclass(frozen=True)
class FieldError:
    """One field at fault in a request: `field` is a path such as `variants[0].price`."""

    field: str
    code: str
    message: str

    def __post_init__(self) -> None:
        if not codes.is_field_code(self.code):
            raise codes.UnregisteredCode(f"field code {self.code!r} is not in market.core.codes.FIELD_CODES")


class DomainError(Exception):
    """Base of every error a service raises on purpose."""

    status: int = 400
    """The status the class stands for; the registered code's own status wins when it differs."""
    code: str = "bad_request"
    title: str
    retry_after_s: int | None = None
    """Sent as `Retry-After` when set."""

    def __init__(self, detail: str, *, code: str | None = None, **extra: Any) -> None:
        """Args:
        detail: for people, in English.
        code: a registered problem code (`market.core.codes.PROBLEMS`; the class's own when omitted); an
            unregistered code raises `UnregisteredCode`.
        extra: more members of the problem (`current_status`, `variants`, ...)."""
        super().__init__(detail)
        self.detail = detail
        self.code = code or type(self).code
        registered = codes.problem_code(self.code)
        self.status = self.status if self.status in registered.statuses else registered.status
        self.title = registered.title
        self.extra = extra


class NotFound(DomainError):
    """The resource does not exist, or it is not the caller's (never reveal which)."""

    status = 404
    code = "not_found"


class Conflict(DomainError):
    """The resource is in a state that does not allow the action."""

    status = 409
    code = "conflict"


class ValidationFailed(DomainError):
    """Well-formed input that breaks a rule; carries the fields at fault."""

    status = 422
    code = "validation_failed"

    def __init__(self, errors: list[FieldError], detail: str | None = None, **extra: Any) -> None:
        fields = ", ".join(error.field for error in errors)
        super().__init__(detail or f"Invalid value for {fields}.", **extra)
        self.errors = errors


class DependencyUnavailable(DomainError):
    """A service the request needs (PostgreSQL, Redis, Meilisearch, a carrier) is down or timing out."""

    status = 503
    code = "dependency_unavailable"
    retry_after_s: int | None = 5

    def __init__(self, dependency: str, detail: str | None = None) -> None:
        super().__init__(detail or f"{dependency} is unavailable; retry shortly.", dependency=dependency)
        self.dependency = dependency


class NotAuthenticated(DomainError):
    """No credentials, or credentials that are unknown, expired or revoked."""

    status = 401
    code = "not_authenticated"


class Forbidden(DomainError):
    """Authenticated, but this principal may not do this to its own resource (a role or a key's scope)."""

    status = 403
    code = "forbidden"


class RateLimited(DomainError):
    """Too many attempts in a window; `retry_after_s` says when the next one may pass."""

    status = 429
    code = "rate_limited"

    def __init__(self, detail: str, *, retry_after_s: int) -> None:
        super().__init__(detail)
        self.retry_after_s = retry_after_s


def field_error(field: str, code: str, message: str) -> ValidationFailed:
    """A validation problem about one field."""
    return ValidationFailed([FieldError(field, code, message)])
