"""The guard's pure parts: how deep a JSON document nests, and which addresses are public."""

from __future__ import annotations

import ipaddress

import pytest

from market.app import create_app
from market.core.urls import is_public
from market.settings import Settings
from market.web.guards import MAX_DEPTH, _too_deep, guard_request


def test_nesting_is_measured_on_brackets_outside_strings() -> None:
    assert not _too_deep(b"[" * MAX_DEPTH + b"]" * MAX_DEPTH)
    assert _too_deep(b"[" * (MAX_DEPTH + 1) + b"]" * (MAX_DEPTH + 1))
    assert _too_deep(b'{"a": ' * (MAX_DEPTH + 1) + b"1" + b"}" * (MAX_DEPTH + 1))
    assert not _too_deep(b'{"note": "' + b"[" * 500 + b'\\"{{{"}')
    assert not _too_deep(b"[" + b"[], " * 10_000 + b"[]]")  # wide, not deep


@pytest.mark.parametrize(
    ("address", "public"),
    [
        *[("1.1.1.1", True), ("2606:4700:4700::1111", True), ("10.0.0.1", False), ("100.64.0.1", False)],
        *[("224.0.0.251", False), ("240.0.0.1", False), ("::ffff:192.168.1.1", False), ("ff02::1", False)],
        *[("0.0.0.0", False), ("169.254.169.254", False)],
    ],
)
def test_only_global_unicast_addresses_are_public(address: str, public: bool) -> None:
    assert is_public(ipaddress.ip_address(address)) is public


def test_every_route_is_guarded(settings: Settings) -> None:
    """A `before_request` set on a controller or handler would replace the app's guard there: none may be."""
    app = create_app(settings)
    handlers = [handler for route in app.routes for handler in getattr(route, "route_handlers", [])]
    assert len(handlers) > 100
    unguarded = [handler for handler in handlers if getattr(handler.resolve_before_request(), "func",
                 handler.resolve_before_request()) is not guard_request]  # fmt: skip
    assert unguarded == []
