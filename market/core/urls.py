"""Seller-supplied URLs: https only, and never a host that resolves to a private, loopback or link-local address.

The marketplace does not fetch images today, but clients and a future thumbnailer will: refusing internal targets
at the door closes server-side request forgery for good. Hosts listed in IMAGE_TRUSTED_HOSTS (the marketplace's
own CDN) skip the DNS check.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

from market.core.errors import FieldError

MAX_URL_LENGTH = 2000


async def check_public_https_url(url: str, field: str, trusted_hosts: tuple[str, ...]) -> FieldError | None:
    """None when the URL is acceptable, else the field error that says why."""
    if len(url) > MAX_URL_LENGTH:
        return FieldError(field, "too_long", f"At most {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return FieldError(field, "invalid_url", "Not a URL.")
    if parts.scheme != "https" or not host:
        return FieldError(field, "https_required", "Image URLs must start with https://.")
    if parts.username or parts.password:
        return FieldError(field, "invalid_url", "URLs with credentials are not accepted.")
    if host.lower() in trusted_hosts:
        return None
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = await _resolve(host)
        if not addresses:
            return FieldError(field, "host_unresolvable", f"The host {host} does not resolve.")
    if not all(address.is_global for address in addresses):
        return FieldError(field, "private_address", "The host resolves to a private or internal address.")
    return None


async def _resolve(host: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(host, 443, type=socket.SOCK_STREAM), timeout=3)
    except (OSError, TimeoutError):
        return []
    return [ipaddress.ip_address(info[4][0]) for info in infos]
