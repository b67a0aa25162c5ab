"""The error-code registry is the one list of codes: every code the sources raise is in it, with a status its
raiser agrees with, and the README's tables are its output."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

import market
import search
from market.cli import main
from market.core import codes
from market.core.errors import Conflict, DomainError, FieldError, NotAuthenticated, field_error

ROOT = Path(__file__).resolve().parents[2]
FIELD_ERROR_CALLS = {"FieldError": 1, "field_error": 1, "add": 1, "_failed": 2}
"""Calls that make a field error, and the position of its code (`add`: search's query checks; `_failed`: bulk)."""


def _domain_errors() -> dict[str, type[DomainError]]:
    for package in (market, search):
        for module in pkgutil.walk_packages(package.__path__, f"{package.__name__}."):
            if ".migrations." not in module.name:
                importlib.import_module(module.name)
    found: dict[str, type[DomainError]] = {}
    pending: list[type[DomainError]] = [DomainError]
    while pending:
        cls = pending.pop()
        found[cls.__name__] = cls
        pending.extend(cls.__subclasses__())
    return found


def codes_in_source(source: str, errors: dict[str, type[DomainError]]) -> list[tuple[int, str, str, int | None]]:
    """(line, kind, code, status the raising class stands for) of every literal code in a module."""
    found: list[tuple[int, str, str, int | None]] = []
    for node in ast.walk(ast.parse(source)):
        bases = [base.id for base in getattr(node, "bases", ()) if isinstance(base, ast.Name) and base.id in errors]
        if isinstance(node, ast.ClassDef) and (node.name in errors or bases):
            raiser = errors.get(node.name) or errors[bases[0]]
            for item in node.body:
                if (isinstance(item, ast.Assign) and isinstance(item.value, ast.Constant)
                        and any(isinstance(t, ast.Name) and t.id == "code" for t in item.targets)):  # fmt: skip
                    found.append((item.lineno, "problem", str(item.value.value), raiser.status))
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
        for keyword in node.keywords:
            if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                status = errors[name].status if name in errors else None
                found.append((node.lineno, "problem", str(keyword.value.value), status))
        position = FIELD_ERROR_CALLS.get(name)
        argument = node.args[position] if position is not None and len(node.args) >= 3 else None
        if isinstance(argument, ast.Constant):
            found.append((node.lineno, "field", str(argument.value), None))
    return found


def unregistered(source: str, errors: dict[str, type[DomainError]]) -> list[str]:
    problems = {entry.code: entry for entry in codes.PROBLEMS}
    wrong = []
    for line, kind, code, status in codes_in_source(source, errors):
        if kind == "field" and not codes.is_field_code(code):
            wrong.append(f"{line}: field code {code}")
        elif kind == "problem" and code not in problems:
            wrong.append(f"{line}: problem code {code}")
        elif kind == "problem" and status is not None and status not in problems[code].statuses:
            wrong.append(f"{line}: {code} raised as a {status}, registered as {problems[code].statuses}")
    return wrong


def test_every_code_in_the_sources_is_registered_with_the_status_it_is_raised_with() -> None:
    errors = _domain_errors()
    found = {}
    for package in ("market", "search"):
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                wrong = unregistered(path.read_text(), errors)
                if wrong:
                    found[path.relative_to(ROOT).as_posix()] = wrong
    assert found == {}


def test_the_scan_finds_unregistered_codes_and_wrong_statuses() -> None:
    errors = _domain_errors()
    source = (
        "raise Conflict('x', code='not_a_code')\n"
        "raise NotAuthenticated('x', code='out_of_stock')\n"
        "errors.append(FieldError('f', 'no_such_field_code', 'm'))\n"
        "class Mine(NotFound):\n    code = 'nope'\n"
        "raise Conflict('x', code='out_of_stock')\n"
    )
    assert sorted(unregistered(source, errors)) == [
        "1: problem code not_a_code",
        "2: out_of_stock raised as a 401, registered as (409,)",
        "3: field code no_such_field_code",
        "5: problem code nope",
    ]


def test_raising_takes_status_and_title_from_the_registry() -> None:
    error = Conflict("Only 2 left.", code="out_of_stock")
    assert (error.status, error.title) == (409, "Out of stock")
    assert (NotAuthenticated("bad").status, NotAuthenticated("bad").title) == (401, "Not authenticated")
    signature = NotAuthenticated("bad signature", code="invalid_signature")
    assert (signature.status, signature.title) == (401, "Invalid signature")  # one of the code's statuses
    assert field_error("price", "below_minimum", "Too low.").errors[0].code == "below_minimum"


def test_an_unregistered_code_cannot_be_raised() -> None:
    with pytest.raises(codes.UnregisteredCode, match="not_a_code"):
        Conflict("x", code="not_a_code")
    with pytest.raises(codes.UnregisteredCode, match="no_such_field_code"):
        FieldError("price", "no_such_field_code", "m")


def test_codes_are_unique_snake_case_with_a_title_and_a_meaning() -> None:
    for entries in (codes.PROBLEMS, codes.FIELD_CODES, codes.WARNING_CODES):
        names = [entry.code for entry in entries]
        assert len(names) == len(set(names))
        assert all(re.fullmatch(r"[a-z][a-z0-9_]*", name) for name in names)
        assert all(entry.when for entry in entries)
    assert all(entry.title and 400 <= entry.status < 600 for entry in codes.PROBLEMS)


def test_the_readme_tables_are_the_registry() -> None:
    readme = (ROOT / "README.md").read_text()
    begin, end = readme.index("<!-- codes:begin"), readme.index("<!-- codes:end -->")
    table = readme[readme.index("\n", begin) + 1 : end]
    assert table == codes.markdown()


def test_market_codes_prints_the_registry() -> None:
    result = CliRunner().invoke(main, ["codes", "--markdown"])
    assert result.exit_code == 0
    assert result.output == codes.markdown()
