"""Readable, unique component names.

Litestar names a component after its class, and when two classes share a name it prefixes the module path
(`accounts_schemas_AddressOut`); a generic list becomes `Page_market.orders.schemas.OrderOut_`. Generated clients
take a component's `title` for a type name, so two `AddressOut` titles collide and drop operations. Here every
prefixed name becomes its context's word and the class name (`SellerAddressOut`, `OrderAddressOut`), every page
`<Item>Page` (`OrderPage`), and each component's title is its (unique) name.
"""

from __future__ import annotations

import re
from typing import Any

_PREFIXED = re.compile(r"^(?P<context>[a-z]+)_schemas_(?P<name>\w+)$")
_PAGE = re.compile(r"^Page_(?:[a-z_]+\.)*?(?:(?P<context>[a-z]+)\.schemas\.)?(?P<item>\w+)_$")
_CONTEXT_WORDS = {"accounts": "Account", "core": "", "payments": "Payment", "returns": "Return"}
"""The word a context's components take (by default its name, capitalised and singular: `orders` -> `Order`)."""


def _context_word(context: str) -> str:
    if context in _CONTEXT_WORDS:
        return _CONTEXT_WORDS[context]
    return context.removesuffix("s").capitalize()


def readable(name: str, names: set[str]) -> str:
    """The readable name of a component Litestar named `name`, among all it named `names`."""
    if page := _PAGE.match(name):
        item, context = page.group("item"), page.group("context")
        if context and f"{context}_schemas_{item}" in names:  # a page of a class whose name is not unique
            item = f"{context}_schemas_{item}"
        return f"{readable(item, names).removesuffix('Out')}Page"
    if prefixed := _PREFIXED.match(name):
        word, plain = _context_word(prefixed.group("context")), prefixed.group("name")
        return plain if plain.startswith(word) else f"{word}{plain}"
    return name


def rename_components(document: dict[str, Any]) -> None:
    """Rename every component to its readable name, its references and titles with it."""
    schemas: dict[str, Any] = document.get("components", {}).get("schemas", {})
    renamed = {name: readable(name, set(schemas)) for name in schemas}
    document["components"]["schemas"] = {renamed[name]: schema for name, schema in schemas.items()}
    for name, schema in document["components"]["schemas"].items():
        schema["title"] = name
    references = {f"#/components/schemas/{old}": f"#/components/schemas/{new}" for old, new in renamed.items()}
    _rewrite_references(document, references)


def _rewrite_references(node: Any, references: dict[str, str]) -> None:
    if isinstance(node, dict):
        reference = node.get("$ref")
        if isinstance(reference, str) and reference in references:
            node["$ref"] = references[reference]
        for value in node.values():
            _rewrite_references(value, references)
    elif isinstance(node, list):
        for value in node:
            _rewrite_references(value, references)
