"""What the OpenAPI refinement needs to know of each operation's handler: its guard, its context, its opts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from litestar import Litestar
from litestar.handlers import HTTPRouteHandler
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.rate_limit import RateLimitMiddleware
from litestar.routes import HTTPRoute

from market.web.operator_auth import provide_operator
from market.web.seller_auth import provide_seller
from market.web.sessions import STARTS_SESSION, BuyerSessionMiddleware, provide_buyer

PROBLEMS = "problems"
"""Route opt: the codes the operation's own service raises, when they are fewer than its context's (documented in
place of the context's; the codes its shape implies are always listed)."""
RATE_LIMITED = "rate_limited"
"""Route opt of the handlers that count attempts (password checks, guest checkout) beyond sign-in and
registration, so their 429 is documented."""


@dataclass(frozen=True)
class Route:
    """One operation's handler, as the document needs it."""

    context: str
    guard: str  # "buyer", "buyer_optional", "seller", "operator" or "public"
    opt: dict[str, Any]
    docstring: str
    rate_limited: bool


def routes_of(app: Litestar) -> dict[tuple[str, str], Route]:
    """Every documented operation's handler, by (path, lowercase method)."""
    found = {}
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            if not handler.include_in_schema:
                continue
            for method in handler.http_methods:
                found[(route.path_format or "/", method.lower())] = _route(handler)
    return found


def _route(handler: HTTPRouteHandler) -> Route:
    module = getattr(handler.fn, "__module__", "") or ""
    parts = module.split(".")
    context = parts[1] if parts[0] == "market" and len(parts) > 2 else parts[0]
    middleware = handler.resolve_middleware()
    limited = bool(handler.opt.get(RATE_LIMITED) or handler.opt.get(STARTS_SESSION)) or any(
        isinstance(layer, DefineMiddleware) and layer.middleware is RateLimitMiddleware for layer in middleware
    )
    return Route(context, _guard(handler, middleware), dict(handler.opt), handler.fn.__doc__ or "", limited)


def _guard(handler: HTTPRouteHandler, middleware: list[Any]) -> str:
    providers = {getattr(provide, "dependency", None) for provide in handler.resolve_dependencies().values()}
    if provide_operator in providers:
        return "operator"
    if provide_seller in providers:
        return "seller"
    if provide_buyer in providers:
        return "buyer"
    if any(isinstance(layer, DefineMiddleware) and layer.middleware is BuyerSessionMiddleware for layer in middleware):
        return "buyer_optional"
    return "public"
