"""Seller-supplied URLs: https only, and never a host that resolves to anything but a public unicast address.

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
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


async def check_public_https_url(
    url: str, field: str, trusted_hosts: tuple[str, ...], *, what: str = "image", loopback: bool = False
) -> FieldError | None:
    """None when the URL is acceptable, else the field error that says why.

    Every refused host gets the same answer, `host_not_allowed`, whether it does not resolve, is not a valid host
    name, or resolves to an internal address: a different answer for each would let a seller map the internal
    names the server can resolve. `what` names the URL in the messages; `loopback` (development and tests only)
    also accepts `http://127.0.0.1` and `http://[::1]`, for a receiver on the same machine."""
    if len(url) > MAX_URL_LENGTH:
        return FieldError(field, "too_long", f"At most {MAX_URL_LENGTH} characters.")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        return FieldError(field, "invalid_url", "Not a URL.")
    local = loopback and is_loopback_literal(host or "")
    if not host or (parts.scheme != "https" and not (local and parts.scheme == "http")):
        return FieldError(field, "https_required", f"{what.capitalize()} URLs must start with https://.")
    if parts.username or parts.password:
        return FieldError(field, "invalid_url", "URLs with credentials are not accepted.")
    if local or host.lower() in trusted_hosts:
        return None
    if not await public_addresses(host):
        return FieldError(field, "host_not_allowed", f"The {what} host must be a public host name or address.")
    return None


def is_loopback_literal(host: str) -> bool:
    """`127.0.0.1` or `::1` written as an address (a name that resolves to one does not count)."""
    try:
        return ipaddress.ip_address(host) in (ipaddress.ip_address("127.0.0.1"), ipaddress.ip_address("::1"))
    except ValueError:
        return False


async def public_addresses(host: str) -> list[IPAddress]:
    """The addresses of `host`, or [] when it is not a valid host name, does not resolve, or any of its addresses is
    not a public unicast one. A client that fetches an image must connect to one of these addresses (not resolve
    the name again), so that a name that changes its answer cannot lead it inside."""
    try:
        addresses: list[IPAddress] = [ipaddress.ip_address(host)]
    except ValueError:
        addresses = await _resolve(host)
    if not addresses or not all(is_public(address) for address in addresses):
        return []
    return addresses


def is_public(address: IPAddress) -> bool:
    """A global unicast address: not private, loopback, link-local, shared (100.64/10), multicast, reserved or
    unspecified, also when written as an IPv4-mapped IPv6 address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_global and not (address.is_multicast or address.is_reserved or address.is_unspecified)


def _ascii_host(host: str) -> str | None:
    """The host name as DNS knows it (IDNA), or None when it is not one (an empty label, a label over 63
    characters, characters IDNA refuses)."""
    try:
        name = host.encode("idna").decode("ascii")
    except UnicodeError:
        return None
    labels = name.rstrip(".").split(".")
    if len(name) > 253 or any(not 0 < len(label) <= 63 for label in labels):
        return None
    return name


async def resolve(host: str) -> list[IPAddress]:
    """Every address the name resolves to now ([] when it does not, or is not a valid host name), unchecked."""
    return await _resolve(host)


async def _resolve(host: str) -> list[IPAddress]:
    name = _ascii_host(host)
    if name is None:
        return []
    loop = asyncio.get_running_loop()
    try:
        infos = await asyncio.wait_for(loop.getaddrinfo(name, 443, type=socket.SOCK_STREAM), timeout=3)
    except (OSError, TimeoutError, UnicodeError):
        return []
    return [ipaddress.ip_address(info[4][0]) for info in infos]
