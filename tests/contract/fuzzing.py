"""schemathesis (4.x) run through its Python engine against the served app, and its failures gathered into classes.

A run covers the operations one principal can reach, with a fixed seed and deterministic generation, so that CI
sends the same requests every time; the budget is the number of examples per operation and phase.
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.engine import events, from_schema
from schemathesis.schemas import BaseSchema

SEED = 20261202
# CI's budget; CONTRACT_FUZZ_EXAMPLES raises it for a deeper run by hand (the seed stays, so runs are repeatable).
EXAMPLES_PER_OPERATION = int(os.environ.get("CONTRACT_FUZZ_EXAMPLES", "10"))
CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
          "response_schema_conformance", "response_headers_conformance")  # fmt: skip


@dataclass
class Findings:
    """Failures by class (check, operation, title), each with how often it happened and one request that shows it."""

    counts: Counter[tuple[str, str, str]] = field(default_factory=Counter)
    examples: dict[tuple[str, str, str], str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    operations: int = 0

    def report(self) -> str:
        lines = [f"{len(self.counts)} failure classes over {self.operations} operations"]
        for (check, operation, title), count in sorted(self.counts.items()):
            example = self.examples[check, operation, title]
            example = example if len(example) <= 600 else f"{example[:600]}... ({len(example)} characters)"
            lines.append(f"- {check} on {operation}: {title} ({count}x)\n    {example}")
        lines += [f"- engine error: {error}" for error in self.errors]
        return "\n".join(lines)


def config(base_url: str, headers: dict[str, str]) -> SchemathesisConfig:
    """The run's configuration, as schemathesis.toml would hold it."""
    return SchemathesisConfig.from_dict(
        {
            "seed": SEED,
            "cache": {"enabled": False},  # no state carried between runs (and no .schemathesis/ in the checkout)
            "base-url": base_url,
            "headers": headers,
            "workers": 1,
            "continue-on-failure": True,
            "request-timeout": 10,
            "generation": {"max-examples": EXAMPLES_PER_OPERATION, "deterministic": True},
            "phases": {"stateful": {"enabled": False}},
            "checks": {"enabled": False, **{name: {"enabled": True} for name in CHECKS}},
        }
    )


def run(document: dict[str, Any], base_url: str, headers: dict[str, str], *, path_regex: str | None = None,
        exclude: tuple[str, ...] = ()) -> Findings:  # fmt: skip
    """Every phase but the stateful one over the operations under `path_regex`, less those named in `exclude`."""
    schema: BaseSchema = schemathesis.openapi.from_dict(document, config=config(base_url, headers))
    if path_regex:
        schema = schema.include(path_regex=path_regex)
    if exclude:
        schema = schema.exclude(name=list(exclude))
    findings = Findings()
    seen: set[str] = set()
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            seen.add(event.recorder.label)
            for nodes in event.recorder.checks.values():
                for node in nodes:
                    if node.failure_info is None:
                        continue
                    key = (node.name, event.recorder.label, node.failure_info.failure.title)
                    findings.counts[key] += 1
                    message = " ".join(node.failure_info.failure.message.split())[:300]
                    findings.examples.setdefault(key, f"{message}\n    {node.failure_info.code_sample}")
        elif isinstance(event, events.NonFatalError):
            findings.errors.append(f"{event.label}: {event.value}")
        elif isinstance(event, events.FatalError):
            findings.errors.append(f"fatal: {event.exception}")
    findings.operations = len(seen)
    return findings
