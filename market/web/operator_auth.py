"""Operator authentication: `Authorization: Bearer mko_...`, a personal token issued by `market admin create`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Request

from market.core.errors import NotAuthenticated
from market.operators.service import operator_for_token
from market.web.deps import bearer_token


@dataclass(frozen=True)
class OperatorPrincipal:
    operator_id: str


async def provide_operator(request: Request[Any, Any, Any]) -> OperatorPrincipal:
    token = bearer_token(request.headers.get("authorization"))
    operator_id = await operator_for_token(token) if token and token.startswith("mko_") else None
    if operator_id is None:
        raise NotAuthenticated("An operator token is required.")
    return OperatorPrincipal(operator_id)
