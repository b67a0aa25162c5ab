"""The app's response class: a 201 answer names what it created in `Location`.

A handler that creates something declares where it lives in its route opt,
`opt={LOCATION: "/seller/v1/products/{content.id}"}`: the template is filled with the path parameters and the
answer (`content`). Handlers that build their own `Response` (checkout, returns) set the header themselves.
"""

from __future__ import annotations

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
