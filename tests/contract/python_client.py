"""A Python client generated from the published document with openapi-python-client, imported for the test.

Operations are found by their `operationId` (the generator names each module after it, inside a folder per tag),
and request bodies are the generated model the operation's signature names, so nothing here depends on how the
document spells its component names.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
import typing
from enum import Enum
from pathlib import Path
from types import ModuleType
from typing import Any

PACKAGE = "market_api_client"
BINARY_TYPES = (
    "application/pdf",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "image/png",
    "image/svg+xml",
)
"""Files the API answers (statements, bank exports, QR codes): the generator handles them as
application/octet-stream (a `File`), and warns about any other binary type."""


def generate(document: dict[str, Any], directory: Path) -> tuple[ModuleType, list[str]]:
    """Generate the client into `directory`, import it, and return it with every warning the generator printed."""
    spec = directory / "openapi.json"
    spec.write_text(json.dumps(document))
    config = directory / "config.json"
    config.write_text(json.dumps({"content_type_overrides": dict.fromkeys(BINARY_TYPES, "application/octet-stream")}))
    generated = subprocess.run(
        [sys.executable, "-m", "openapi_python_client", "generate", "--path", str(spec), "--meta", "none",
         "--output-path", str(directory / PACKAGE), "--config", str(config)],
        capture_output=True, text=True, timeout=300, check=False, env=_with_ruff(),
    )  # fmt: skip
    output = generated.stdout + generated.stderr
    assert generated.returncode == 0, output
    warnings = [block.strip() for block in re.split(r"\n(?=WARNING )", output) if block.startswith("WARNING")]
    if "Warning(s) encountered" in output and not warnings:
        warnings = [output]
    sys.path.insert(0, str(directory))
    try:
        return importlib.import_module(PACKAGE), warnings
    finally:
        sys.path.remove(str(directory))


def _with_ruff() -> dict[str, str]:
    """The environment with this virtualenv's bin first: the generator formats its output with `ruff` from PATH
    (and warns, "Skipping Integration", when it finds none)."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
    return {**os.environ, "PATH": path}


class Operations:
    """`ops.<operationId>`: the generated module of that operation (`asyncio_detailed`, `sync_detailed`, ...)."""

    def __init__(self, package: ModuleType) -> None:
        self.package = package
        root = Path(package.__file__ or "").parent / "api"
        self.modules = {path.stem: f"{package.__name__}.api.{path.parent.name}.{path.stem}"
                        for path in root.glob("*/*.py") if path.stem != "__init__"}  # fmt: skip

    def __getattr__(self, operation_id: str) -> ModuleType:
        assert operation_id in self.modules, f"the generated client has no operation {operation_id}"
        return importlib.import_module(self.modules[operation_id])


def body(operation: ModuleType, fields: dict[str, Any]) -> Any:
    """The operation's request body, as its generated model (nested models included) parsed from these fields."""
    model = typing.get_type_hints(operation.asyncio_detailed)["body"]
    built = model.from_dict(fields)
    assert type(built).__module__.startswith(PACKAGE), built
    return built


def enum_member(operation: ModuleType, parameter: str, value: str) -> Enum:
    """The generated enum member that a parameter of the operation takes for `value` (as a typed caller passes it)."""
    annotation = typing.get_type_hints(operation.asyncio_detailed)[parameter]
    for candidate in typing.get_args(annotation) or (annotation,):
        if isinstance(candidate, type) and issubclass(candidate, Enum):
            for member in candidate:
                if member.value == value:
                    return member
    raise AssertionError(f"{parameter} of {operation.__name__} has no enum with {value!r}: {annotation}")


def answer(response: Any, status: int) -> Any:
    """The typed body of a response: its status is `status` and the client decoded it into generated models."""
    assert response.status_code == status, (response.status_code, response.content[:1000])
    parsed = response.parsed
    assert parsed is not None, f"the client could not decode the {status} answer: {response.content[:300]!r}"
    for item in parsed if isinstance(parsed, list) else [parsed]:
        assert type(item).__module__.startswith(PACKAGE), f"an undecoded answer: {item!r}"[:500]
    return parsed
