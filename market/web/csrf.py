"""CSRF protection of the buyer routes, where a request could ride on the browser's session cookie.

Litestar's double-submit check (`CSRFConfig`, `CSRFMiddleware`), scoped:
- a request with an `Authorization` header (mobile, bearer) carries no ambient credential: not checked, and it is
  never authenticated by a cookie either (`market.web.sessions`);
- safe methods (GET, HEAD, OPTIONS) are let through and hand out the `market_csrf` cookie when it is missing;
- an unsafe request carrying the `market_session` cookie must echo `market_csrf` in `X-CSRF-Token`, else 403
  `csrf_failed`;
- an unsafe request without the session cookie has nothing to ride on; when it starts a web session (sign-in,
  registration), the CSRF cookie comes with the session cookie, and it must be `application/json`, which no
  cross-site form can send without a CORS preflight (none is allowed), so nobody can sign a victim in to an
  attacker's account ("login CSRF").
"""

from __future__ import annotations

from typing import Any, cast

from litestar.config.csrf import CSRFConfig
from litestar.connection import ASGIConnection
from litestar.enums import ScopeType
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware, generate_csrf_token
from litestar.types import HTTPSendMessage, Message, Receive, Scope, Send

from market.core.errors import Forbidden
from market.web.sessions import COOKIE_NAME, STARTS_SESSION, credentials

CSRF_COOKIE = "market_csrf"
CSRF_HEADER = "x-csrf-token"
_SESSION_SET = f"{COOKIE_NAME}=".encode()
_SESSION_CLEARED = f'{COOKIE_NAME}="";'.encode()


class BuyerCsrfMiddleware(CSRFMiddleware):
    """`CSRFMiddleware` applied only to what rides on the session cookie (see the module docstring)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        authorization, cookie = credentials(scope)
        if scope["type"] != ScopeType.HTTP or authorization is not None:
            await self.app(scope, receive, send)
            return
        if scope["method"] in self.config.safe_methods:
            await super().__call__(scope, receive, send)
            return
        starts_session = scope["route_handler"].opt.get(STARTS_SESSION)
        if cookie is None and not starts_session:  # nothing to ride on, no session to hand out: a guest's cart
            await self.app(scope, receive, send)
            return
        connection: ASGIConnection[Any, Any, Any, Any] = ASGIConnection(scope, receive=receive)
        cookies = connection.cookies if cookie is not None else {}
        if COOKIE_NAME in cookies:
            sent, expected = connection.headers.get(CSRF_HEADER), cookies.get(CSRF_COOKIE)
            if not (sent and expected and self._csrf_tokens_match(sent, expected)):
                raise Forbidden("Send the market_csrf cookie's value in the X-CSRF-Token header.", code="csrf_failed")
            await self.app(scope, receive, send)
            return
        if starts_session:
            content_type = connection.headers.get("content-type", "").split(";")[0].strip().lower()
            if content_type != "application/json":
                raise Forbidden("Sign-in and registration must be sent as application/json.", code="csrf_failed")
        if CSRF_COOKIE in cookies:
            await self.app(scope, receive, send)
            return
        await self.app(scope, receive, self._with_cookie_alongside_session(send))

    def _with_cookie_alongside_session(self, send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start" and _sets_session_cookie(message):
                self._set_cookie_if_needed(message, generate_csrf_token(self.config.secret))
            await send(message)

        return wrapped


def _sets_session_cookie(message: HTTPSendMessage) -> bool:
    headers = cast("list[tuple[bytes, bytes]]", message.get("headers", []))
    return any(
        name.lower() == b"set-cookie" and value.startswith(_SESSION_SET) and not value.startswith(_SESSION_CLEARED)
        for name, value in headers
    )


def csrf_middleware(secret: str) -> DefineMiddleware:
    """The middleware for the buyer router, signing tokens with the app's secret."""
    config = CSRFConfig(
        secret=secret,
        cookie_name=CSRF_COOKIE,
        header_name=CSRF_HEADER,
        cookie_secure=True,
        cookie_httponly=False,  # the web client reads it to echo it in the header
        cookie_samesite="lax",
    )
    return DefineMiddleware(BuyerCsrfMiddleware, config=config)
