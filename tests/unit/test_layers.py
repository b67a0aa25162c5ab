"""The HTTP layer stays in one room: Litestar is imported only in `market/web/`, `*/api.py`, `market/app.py` and
the simulators, so domain code (services, tables, core) never depends on the web framework."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIMULATORS = {"market/shipping/simulator.py"}


def _allowed(relative: str) -> bool:
    return (
        relative.startswith("market/web/")
        or relative.endswith("/api.py")
        or relative == "market/app.py"
        or relative in SIMULATORS
        or relative.startswith("market/simulators/")  # the third parties' stand-ins are web apps themselves
    )


def _imports_litestar(tree: ast.AST) -> list[int]:
    lines = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        if any(name == "litestar" or name.startswith("litestar.") for name in names):
            lines.append(node.lineno)
    return sorted(lines)


def litestar_imports_outside_the_http_layer() -> dict[str, list[int]]:
    found = {}
    for package in ("market", "search"):
        for path in sorted((ROOT / package).rglob("*.py")):
            relative = path.relative_to(ROOT).as_posix()
            if _allowed(relative):
                continue
            lines = _imports_litestar(ast.parse(path.read_text(), filename=relative))
            if lines:
                found[relative] = lines
    return found


def test_litestar_is_imported_only_in_the_http_layer() -> None:
    assert litestar_imports_outside_the_http_layer() == {}


def test_the_check_sees_imports_anywhere_in_a_module() -> None:
    source = "import os\ndef f():\n    from litestar.exceptions import HTTPException\nimport litestar\n"
    assert _imports_litestar(ast.parse(source)) == [3, 4]
    assert _imports_litestar(ast.parse("from .litestar import x\nimport litestarish\n")) == []
