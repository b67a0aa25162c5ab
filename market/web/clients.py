"""Who is on the other end of a request: the client address the rate limits count against.

The client address is the socket peer, or, when TRUSTED_PROXY_HEADER names the header a trusted reverse proxy
sets (`X-Forwarded-For`, `X-Real-IP`), the last address in it (the one that proxy saw); never a header otherwise.
"""

from __future__ import annotations

import ipaddress
from typing import Any

from litestar import Request


def client_address(request: Request[Any, Any, Any], trusted_header: str | None) -> str:
    """The client's address (see the module docstring for the trusted proxy header)."""
    if trusted_header:
        forwarded = request.headers.get(trusted_header)
        if forwarded:
            candidate = forwarded.split(",")[-1].strip()
            try:
                return str(ipaddress.ip_address(candidate))
            except ValueError:
                pass  # a malformed header is ignored, never trusted
    return request.client.host if request.client else "unknown"
