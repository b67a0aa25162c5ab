"""The guard's pure parts: how deep a JSON document nests, and which addresses are public."""

from __future__ import annotations

import ipaddress

import pytest

from market.app import create_app
from market.core.urls import is_public
from market.settings import Settings
from market.web.guards import MAX_DEPTH, _guard_then, _too_deep, guard_request


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
    """A `before_request` set on a controller or handler would replace the app's guard there: none may be, but
    for `guard_then(...)`, which runs the guard first."""
    app = create_app(settings)
    handlers = [handler for route in app.routes for handler in getattr(route, "route_handlers", [])]
    assert len(handlers) > 100
    unguarded = [handler for handler in handlers if getattr(handler.resolve_before_request(), "func",
                 handler.resolve_before_request()) not in (guard_request, _guard_then)]  # fmt: skip
    assert unguarded == []
    shortcuts = [route.path for route in app.routes for handler in getattr(route, "route_handlers", [])
                 if getattr(handler.resolve_before_request(), "func", None) is _guard_then]  # fmt: skip
    assert shortcuts == ["/api/v1/products/{slug:str}", "/api/v1/search/suggest"]


def test_the_quick_scan_lets_only_clean_paths_and_headers_through() -> None:
    """The guard looks closely at a request only when its quick scan is suspicious: any C0, DEL or C1 character
    in the path, any forbidden byte in a header value. What else the quick scan flags (a no-break space, a tab
    in a header) is then found clean by the close look."""
    from market.web.guards import _parameter_errors, _Plan, _suspect

    def scope(path: str, *headers: bytes) -> dict[str, object]:
        return {"path": path, "headers": [(b"x-h", value) for value in headers], "path_params": {"slug": path[1:]},
                "query_string": b""}  # fmt: skip

    assert not _suspect(scope("/mang-cau", b"text/html", "Nông sản".encode()))  # type: ignore[arg-type]
    for char in [*map(chr, range(0x20)), "\x7f", "\x85", "\x9f"]:
        assert _suspect(scope(f"/a{char}b"))  # type: ignore[arg-type]
        errors = _parameter_errors(scope(f"/a{char}b"), _Plan(frozenset()))  # type: ignore[arg-type]
        assert [(e.field, e.code) for e in errors] == [("slug", "control_character")]
    for byte in [*range(0x09), *range(0x0A, 0x20), 0x7F]:
        assert _suspect(scope("/a", b"ok", b"x" + bytes([byte])))  # type: ignore[arg-type]
    for clean in (scope("/a\u00a0b"), scope("/a", b"a\tb", b"\xe2\x80\x8b")):
        assert _parameter_errors(clean, _Plan(frozenset())) == []  # type: ignore[arg-type]
