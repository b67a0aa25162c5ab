"""A TypeScript client generated from the published document: openapi-typescript's types, openapi-fetch's client,
the flows of tests/contract/ts compiled with tsc (strict) and run with node.

The tools are the versions tests/contract/ts/package-lock.json pins, installed by `deploy/local.py ts-tools` into
`.cache/ts-client` (deploy/dev test does it; the fixture does it too when they are missing).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
SOURCES = Path(__file__).resolve().parent / "ts"
TSCONFIG = {
    "compilerOptions": {
        "strict": True, "noUncheckedIndexedAccess": False, "target": "es2022", "lib": ["es2022"],
        "module": "nodenext", "moduleResolution": "nodenext", "types": ["node"], "outDir": "out",
        "forceConsistentCasingInFileNames": True,
    },
}  # fmt: skip

QUOTE_ABSENT = """// No POST /api/v1/shipping/quotes in the document: the flows skip the quote (FLOW_INPUT.quote false).
export async function quoteCart(_buyer: unknown, _province: number, _ward: number): Promise<number> {
  throw new Error("the document has no POST /api/v1/shipping/quotes");
}
"""


def install_tools() -> Path:
    """The folder holding node_modules with the pinned tools (installed now when missing)."""
    assert shutil.which("node"), "node is not installed (deploy/dev installs npm, which brings it)"
    printed = subprocess.run([sys.executable, str(ROOT / "deploy" / "local.py"), "ts-tools"], capture_output=True,
                             text=True, check=True, timeout=600)  # fmt: skip
    return Path(printed.stdout.strip())


@dataclass
class Compiled:
    directory: Path
    generator_warnings: list[str]
    diagnostics: str  # tsc --noEmit's output: empty when clean
    with_quote: bool


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def compile_flows(tools: Path, document: dict[str, Any], directory: Path, with_quote: bool) -> Compiled:
    """Generate `schema.d.ts` from the document, then type-check (`tsc --noEmit`) and build the flows."""
    bin_dir = tools / "node_modules" / ".bin"
    (directory / "node_modules").symlink_to(tools / "node_modules", target_is_directory=True)
    (directory / "package.json").write_text(json.dumps({"type": "module", "private": True}))
    (directory / "openapi.json").write_text(json.dumps(document))
    # A field with a default is optional when sent: the generator's default would make it required in requests.
    generated = run([str(bin_dir / "openapi-typescript"), "openapi.json", "-o", "schema.d.ts",
                     "--default-non-nullable", "false"], directory)  # fmt: skip
    assert generated.returncode == 0, generated.stdout + generated.stderr
    progress = ("✨", "🚀")  # the generator's banner and its "document → file" line
    warnings = [line for line in (generated.stdout + generated.stderr).splitlines()
                if line.strip() and not line.lstrip().startswith(progress)]  # fmt: skip
    sources = ["answers.ts", "flows.ts", "quote.ts"]
    for name in sources:
        shutil.copyfile(SOURCES / name, directory / name)
    if not with_quote:  # the flows skip the step; quote.ts cannot type-check without the endpoint in `paths`
        (directory / "quote.ts").write_text(QUOTE_ABSENT)
    config = {**TSCONFIG, "files": [*sources, "schema.d.ts"]}
    (directory / "tsconfig.json").write_text(json.dumps(config, indent=2))
    checked = run([str(bin_dir / "tsc"), "-p", "tsconfig.json", "--noEmit"], directory)
    diagnostics = (checked.stdout + checked.stderr).strip()
    if checked.returncode == 0:
        built = run([str(bin_dir / "tsc"), "-p", "tsconfig.json"], directory)
        assert built.returncode == 0, built.stdout + built.stderr
    elif not diagnostics:
        diagnostics = f"tsc exited with {checked.returncode}"
    return Compiled(directory, warnings, diagnostics, with_quote)


def environment(flow_input: dict[str, Any]) -> dict[str, str]:
    return {**os.environ, "FLOW_INPUT": json.dumps(flow_input)}
