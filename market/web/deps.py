"""Typed names of what Litestar injects into handlers."""

from __future__ import annotations

from typing import Annotated, TypeAlias

from litestar.di import NamedDependency
from litestar.params import HeaderParameter, Parameter

from market.core.pagination import MAX_LIMIT
from market.core.resources import Resources

ResourcesDep: TypeAlias = NamedDependency[Resources]
"""The process's `Resources` (pool, Redis, Meilisearch), provided by `create_app` as `resources`."""


def bearer_token(authorization: str | None) -> str | None:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


IdempotencyKeyHeader = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        required=False,
        description="Required: one key per attempt (at most 255 characters), reused for its retries; kept 24 hours.",
    ),
]

Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT)]
"""A list's `limit` query parameter (1 to MAX_LIMIT), for every cursor list."""
