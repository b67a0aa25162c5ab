"""The app's response class: a 201 answer names what it created in `Location`.

A handler that creates something declares where it lives in its route opt,
`opt={LOCATION: "/seller/v1/products/{content.id}"}`: the template is filled with the path parameters and the
answer (`content`). Handlers that build their own `Response` (checkout, returns) set the header themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from litestar import Request, Response
from litestar.response.base import ASGIResponse

LOCATION = "location"


class ContractResponse(Response[Any]):
    """Litestar's `Response`, adding `Location` to a 201 answer from its route's template."""

    def to_asgi_response(self, app: Any, request: Request[Any, Any, Any], **kwargs: Any) -> ASGIResponse:
        status = kwargs.get("status_code") or self.status_code
        template = request.route_handler.opt.get(LOCATION) if status == 201 else None
        if template and "location" not in {name.lower() for name in self.headers}:
            headers = dict(kwargs.get("headers") or {})
            headers["Location"] = template.format(content=self.content, **request.path_params)
            kwargs["headers"] = headers
        return super().to_asgi_response(app, request, **kwargs)


class JSONBytes(ASGIResponse):
    """A 200 answer whose body is JSON encoded already (a cached document, a constant), sent as it is.

    Litestar's `ASGIResponse` builds a header object per answer (with a scan per default header); this keeps the
    encoded header list and copies it, which matters on the hottest reads (a cached product page, the liveness
    probe). Extra headers are given encoded: `((b"cache-control", b"no-store"),)`."""

    def __init__(self, body: bytes, headers: Sequence[tuple[bytes, bytes]] = ()) -> None:
        self.body = body
        self.background = None
        self.content_length = len(body)
        self.encoding = "utf-8"
        self.is_head_response = False
        self.status_code = 200
        self._encoded_cookies = ()
        self._encoded = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body)), *headers]

    def encode_headers(self) -> list[tuple[bytes, bytes]]:
        return self._encoded.copy()


class EncodedJSON(Response[bytes]):
    """What a route's `before_request` answers with JSON encoded already, for a handler whose return type (a
    Struct) documents the answer: Litestar hands a `Response` to its response handler, which asks for the ASGI
    answer, so the route keeps its generated OpenAPI (schema, headers such as `cache-control`) and sends the
    bytes as they are (a `JSONBytes`, with the route's headers)."""

    def __init__(self, body: bytes) -> None:
        self.body = body

    def to_asgi_response(self, app: Any, request: Request[Any, Any, Any], **kwargs: Any) -> ASGIResponse:
        headers = kwargs.get("headers") or {}
        return JSONBytes(self.body, [(name.lower().encode(), str(value).encode()) for name, value in headers.items()])
