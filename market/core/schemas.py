"""Shared request/response building blocks (msgspec)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import msgspec

Str = Annotated[str, msgspec.Meta(max_length=200)]
Name = Annotated[str, msgspec.Meta(min_length=1, max_length=120)]
LongText = Annotated[str, msgspec.Meta(max_length=5000)]
Reason = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
Code = Annotated[int, msgspec.Meta(ge=1, le=99_999)]


class Input(msgspec.Struct, forbid_unknown_fields=True, kw_only=True):
    """Base of request bodies: unknown (and so privileged) fields are refused with 422."""


class UnitOut(msgspec.Struct):
    """A province or ward with its official code."""

    code: int
    name: str


class ReasonIn(Input):
    reason: Reason


def rfc3339(value: datetime | None) -> str | None:
    """UTC with a Z, as the API style asks."""
    return value.strftime("%Y-%m-%dT%H:%M:%SZ") if value else None


def unset_to_dict(struct: msgspec.Struct) -> dict[str, Any]:
    """The fields a PATCH body actually sent."""
    return {k: v for k, v in msgspec.structs.asdict(struct).items() if v is not msgspec.UNSET}
