"""Examples for the main bodies, as a client would send and receive them."""

from __future__ import annotations

from typing import Any

EXAMPLES: dict[str, dict[str, Any]] = {}


def add_examples(document: dict[str, Any]) -> None:
    """Set each listed component's `examples` (components the document does not have are skipped)."""
    schemas = document.get("components", {}).get("schemas", {})
    for name, example in EXAMPLES.items():
        if name in schemas:
            schemas[name]["examples"] = [example]
