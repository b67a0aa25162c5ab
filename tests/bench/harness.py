"""Run scenarios under granian, drive them with wrk, and report req/s, p50, p99, errors and the ratio to B0."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

from market.cli import granian_argv
from market.core.text import fold
from market.demo import QUALIFIERS, specialty_rows
from search.query import parse_query, search_request
from search.suggest import suggest_request
from tests.bench.cart import CART_LINE_BODY
from tests.services import free_port


@dataclass(frozen=True)
class Target:
    """An app served by granian (`factory`, with `env` overrides), or a server already running (`external_url`)."""

    factory: str = ""
    env: tuple[tuple[str, str], ...] = ()
    external_url: Callable[[], str] | None = None


TARGETS = {
    "b0": Target("tests.bench.apps:b0_app"),
    "market": Target("tests.bench.apps:market_bench_app"),
    "market_nocache": Target("tests.bench.apps:market_bench_app", (("PRODUCT_CACHE_TTL_S", "0"),)),
    "market_nofacetcache": Target("tests.bench.apps:market_bench_app", (("SEARCH_FACETS_TTL_S", "0"),)),
    "meilisearch": Target(external_url=lambda: os.environ["MEILI_URL"]),
}


@dataclass(frozen=True)
class Scenario:
    """One request driven by wrk against a target; `baseline` names the scenario it is compared with.

    `path` may contain `{slug}`, `{index}` or `{suggest_index}`, filled from the data the run found (see `context`).
    """

    name: str
    target: str
    path: str
    method: str = "GET"
    body: str | None = None
    headers: tuple[tuple[str, str], ...] = ()
    baseline: str | None = None
    lua: str = ""  # more of wrk's Lua script (a `request` function that varies each request, say)


@dataclass
class Result:
    name: str
    target: str
    path: str
    requests: int
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    ratio_to_b0: float | None = None
    baseline: str | None = None
    throughput_vs_baseline: float | None = None
    p50_vs_baseline: float | None = None
    p99_vs_baseline: float | None = None


@dataclass
class Config:
    duration_s: int = 10
    connections: int = 64
    threads: int = 2
    workers: int = 1
    out_dir: Path = field(default_factory=lambda: Path(".local/bench"))
    warmup_s: int = 1


# The search scenario's query, and the very body our API sends Meilisearch for it (the raw baseline sends it too).
SEARCH_PARAMS = {"q": "mang cau", "province": 80, "certification": ["vietgap"]}
SEARCH_BODY = json.dumps(search_request(parse_query(**SEARCH_PARAMS)))  # type: ignore[arg-type]
# The same query without facets (`facets=none`, or any page after the first), and a suggestion as typed.
LEAN_PARAMS = {**SEARCH_PARAMS, "facets": "none"}
LEAN_BODY = json.dumps(search_request(parse_query(**{**SEARCH_PARAMS, "facets": ["none"]})))  # type: ignore[arg-type]
SUGGEST_Q = "mang c"
SUGGEST_BODY = json.dumps(suggest_request(SUGGEST_Q))
MEILI_HEADERS = (("Content-Type", "application/json"), ("Authorization", "Bearer {meili_key}"))


def suggest_prefixes() -> list[str]:
    """What a buyer's search box sends while typing the catalog's names: every prefix, from two letters on (spaces
    trimmed), of each specialty's name followed by each qualifier (the generated products are named so), as typed
    with diacritics and without; distinct, in a fixed shuffled order. Thousands of different questions, so a mix,
    not one cached answer."""
    import random

    found: set[str] = set()
    for row in specialty_rows():
        for qualifier in QUALIFIERS:
            name = f"{row['name']} {qualifier}".lower()
            for typed in (name, fold(name)):
                found.update(typed[:end].strip() for end in range(2, len(typed) + 1) if typed[:end].strip())
    prefixes = sorted(found)
    random.Random(15).shuffle(prefixes)
    return prefixes


def _lua_cycle(requests: list[str]) -> str:
    """wrk Lua: each request the next of `requests` (Lua expressions of `wrk.format` calls), round the list; each
    of wrk's threads starts at its own place in it (not all asking the same question at once)."""
    items = ",\n".join(requests)
    return f"local requests = {{\n{items}\n}}\n" + (
        "local threads = 0\n"
        "setup = function(thread) thread:set('offset', threads); threads = threads + 1 end\n"
        "i = 0\n"
        "init = function(args) i = (offset or 0) * 997 % #requests end\n"
        "request = function()\n  i = i % #requests + 1\n  return requests[i]\nend"
    )


def _long_string(text: str) -> str:
    return f"[==[{text}]==]"


SUGGEST_MIX = suggest_prefixes()
SUGGEST_MIX_LUA = _lua_cycle([f"wrk.format(nil, wrk.path .. {_long_string('?' + urlencode({'q': q}))})"
                              for q in SUGGEST_MIX])  # fmt: skip
RAW_SUGGEST_MIX_LUA = _lua_cycle([
    f"wrk.format(nil, nil, nil, {_long_string(json.dumps(suggest_request(q), ensure_ascii=False))})"
    for q in SUGGEST_MIX])  # fmt: skip

SCENARIOS = [
    Scenario("B0", "b0", "/"),
    Scenario("health_live", "market", "/health/live"),
    Scenario("health_ready", "market", "/health/ready"),
    Scenario("detail_cached", "market", "/api/v1/products/{slug}"),
    Scenario("raw_detail_sql", "market_nocache", "/bench/raw-detail/{slug}"),
    Scenario("detail_uncached", "market_nocache", "/api/v1/products/{slug}", baseline="raw_detail_sql"),
    Scenario(
        "meili_raw_search",
        "meilisearch",
        "/indexes/{index}/search",
        method="POST",
        body=SEARCH_BODY,
        headers=(("Content-Type", "application/json"), ("Authorization", "Bearer {meili_key}")),
    ),
    Scenario(
        "search",
        "market",
        "/api/v1/search?" + urlencode(SEARCH_PARAMS, doseq=True),
        baseline="meili_raw_search",
    ),
    # the first page with its facets, none cached (SEARCH_FACETS_TTL_S=0): Meilisearch computes them every time
    Scenario(
        "search_facets_uncached",
        "market_nofacetcache",
        "/api/v1/search?" + urlencode(SEARCH_PARAMS, doseq=True),
        baseline="meili_raw_search",
    ),
    Scenario("meili_raw_search_lean", "meilisearch", "/indexes/{index}/search", method="POST", body=LEAN_BODY,
             headers=MEILI_HEADERS),
    Scenario("search_lean", "market", "/api/v1/search?" + urlencode(LEAN_PARAMS, doseq=True),
             baseline="meili_raw_search_lean"),
    Scenario("meili_raw_suggest", "meilisearch", "/indexes/{suggest_index}/search", method="POST", body=SUGGEST_BODY,
             headers=MEILI_HEADERS),
    Scenario("suggest", "market", "/api/v1/search/suggest?" + urlencode({"q": SUGGEST_Q}),
             baseline="meili_raw_suggest"),
    # suggestions as a crowd types them: 4,186 different prefixes in turn (the cache holds each one 30 s)
    Scenario("meili_raw_suggest_mix", "meilisearch", "/indexes/{suggest_index}/search", method="POST",
             body=SUGGEST_BODY, headers=MEILI_HEADERS, lua=RAW_SUGGEST_MIX_LUA),
    Scenario("suggest_mix", "market", "/api/v1/search/suggest", lua=SUGGEST_MIX_LUA,
             baseline="meili_raw_suggest_mix"),
]  # fmt: skip

# A guest adds a line to a cart, against L-cart: the least a cart add can do, on the same server (tests/bench/cart.py).
CART_HEADERS = (("Content-Type", "application/json"), ("Cart-Token", "{cart_token}"))
SCENARIOS += [
    Scenario("L-cart", "market", "/bench/l-cart", method="POST", body=CART_LINE_BODY, headers=CART_HEADERS),
    Scenario("cart_add", "market", "/api/v1/carts/current/lines", method="POST", body=CART_LINE_BODY,
             headers=CART_HEADERS, baseline="L-cart"),
]  # fmt: skip


def ensure_wrk() -> str:
    """wrk from Debian's package, installed when missing (as root), otherwise a clear instruction."""
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() != 0:
        raise SystemExit("wrk is not installed: sudo apt-get install -y wrk")
    print("[bench] installing wrk with apt-get", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True, env=env)
    return shutil.which("wrk") or "wrk"


class Server:
    """A granian process serving one target; used as a context manager."""

    def __init__(self, target: str, workers: int, log_path: Path) -> None:
        self.target = target
        self.spec = TARGETS[target]
        self.workers = workers
        self.port = free_port()
        self.log_path = log_path
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> Server:
        if self.spec.external_url:
            return self
        argv = granian_argv(self.spec.factory, "127.0.0.1", self.port, self.workers)
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        env = {**os.environ, **dict(self.spec.env)}
        self.process = subprocess.Popen(argv, stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.target} server exited; see {self.log_path}")
            try:
                with urllib.request.urlopen(f"{self.base_url}/", timeout=1):
                    pass
                return self
            except urllib.error.HTTPError:
                return self  # it answers (a 404 on / is fine)
            except OSError:
                time.sleep(0.1)
        raise SystemExit(f"{self.target} server did not start; see {self.log_path}")

    def __exit__(self, *_: object) -> None:
        if self.process:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()

    @property
    def base_url(self) -> str:
        if self.spec.external_url:
            return self.spec.external_url().rstrip("/")
        return f"http://127.0.0.1:{self.port}"


_LATENCY = re.compile(r"^\s+(50|99)(?:\.000)?%\s+([\d.]+)(us|ms|s)\s*$", re.MULTILINE)
_REQUESTS = re.compile(r"^\s+(\d+) requests in", re.MULTILINE)
_RPS = re.compile(r"^Requests/sec:\s+([\d.]+)", re.MULTILINE)
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses: (\d+)")
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def parse_wrk(output: str) -> tuple[int, float, float, float, int]:
    """(requests, rps, p50 ms, p99 ms, errors) from wrk --latency output."""
    latencies = {pct: float(value) * _UNIT_MS[unit] for pct, value, unit in _LATENCY.findall(output)}
    requests = _REQUESTS.search(output)
    rps = _RPS.search(output)
    if not (requests and rps and "50" in latencies and "99" in latencies):
        raise ValueError(f"unexpected wrk output:\n{output}")
    socket_errors = _SOCKET.search(output)
    errors = sum(int(n) for n in socket_errors.groups()) if socket_errors else 0
    non_2xx = _NON_2XX.search(output)
    errors += int(non_2xx.group(1)) if non_2xx else 0
    return int(requests.group(1)), float(rps.group(1)), latencies["50"], latencies["99"], errors


def _lua(scenario: Scenario, context: dict[str, str], directory: Path) -> Path | None:
    if scenario.method == "GET" and not scenario.headers and not scenario.lua:
        return None
    lines = [f'wrk.method = "{scenario.method}"']
    if scenario.body:
        lines.append(f"wrk.body = {json.dumps(scenario.body)}")
    lines += [f'wrk.headers["{name}"] = {json.dumps(value.format(**context))}' for name, value in scenario.headers]
    lines.append(scenario.lua)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{scenario.name}.lua"
    path.write_text("\n".join(lines) + "\n")
    return path


def drive(wrk: str, server: Server, scenario: Scenario, config: Config, context: dict[str, str]) -> Result:
    argv = [wrk, f"-t{config.threads}", f"-c{config.connections}", f"-d{config.duration_s}s", "--latency"]
    script = _lua(scenario, context, config.out_dir / "lua")
    if script:
        argv += ["-s", str(script)]
    url = server.base_url + scenario.path.format(**context)
    output = subprocess.run([*argv, url], check=True, capture_output=True, text=True).stdout
    requests, rps, p50, p99, errors = parse_wrk(output)
    return Result(scenario.name, scenario.target, scenario.path, requests, rps, round(p50, 3), round(p99, 3), errors)


def run(
    scenarios: list[Scenario],
    config: Config,
    context: dict[str, str] | None = None,
    between: Callable[[], None] | None = None,
) -> list[Result]:
    """Serve each target once, drive its scenarios in turn, and compare every result with B0 and its baseline.

    `between` runs before each scenario (to leave the database as the previous one found it, say)."""
    wrk = ensure_wrk()
    context = context or {}
    results: list[Result] = []
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for target in dict.fromkeys(scenario.target for scenario in scenarios):
        with Server(target, config.workers, config.out_dir / f"{stamp}-{target}.log") as server:
            for scenario in (s for s in scenarios if s.target == target):
                if between:
                    between()
                drive(wrk, server, scenario, replace_duration(config, config.warmup_s), context)  # warm-up
                print(f"[bench] {scenario.name}: {config.duration_s}s at {config.connections} connections",
                      file=sys.stderr, flush=True)  # fmt: skip
                results.append(drive(wrk, server, scenario, config, context))
    b0 = next((result for result in results if result.target == "b0"), None)
    by_name = {result.name: result for result in results}
    baselines = {scenario.name: scenario.baseline for scenario in scenarios}
    for result in results:
        result.ratio_to_b0 = round(result.rps / b0.rps, 3) if b0 and b0.rps else None
        reference = by_name.get(baselines.get(result.name) or "")
        if reference and reference.rps and reference.p50_ms and reference.p99_ms:
            result.baseline = reference.name
            result.throughput_vs_baseline = round(result.rps / reference.rps, 3)
            result.p50_vs_baseline = round(result.p50_ms / reference.p50_ms, 3)
            result.p99_vs_baseline = round(result.p99_ms / reference.p99_ms, 3)
    write(results, config, stamp)
    return results


def replace_duration(config: Config, seconds: int) -> Config:
    return Config(seconds, config.connections, config.threads, config.workers, config.out_dir, config.warmup_s)


def write(results: list[Result], config: Config, stamp: str) -> Path:
    config.out_dir.mkdir(parents=True, exist_ok=True)
    path = config.out_dir / f"results-{stamp}.json"
    payload = {
        "started_at": stamp,
        "config": {**asdict(config), "out_dir": str(config.out_dir), "cores": os.cpu_count()},
        "results": [asdict(result) for result in results],
    }
    path.write_text(json.dumps(payload, indent=2))
    (config.out_dir / "latest.json").write_text(json.dumps(payload, indent=2))
    return path


def table(results: list[Result]) -> str:
    header = f"{'scenario':<18} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6} {'vs B0':>6}  vs baseline"
    lines = [header]
    for r in results:
        ratio = f"{r.ratio_to_b0:.2f}" if r.ratio_to_b0 is not None else "-"
        versus = (
            f"{r.baseline}: throughput {r.throughput_vs_baseline:.2f}, p50 {r.p50_vs_baseline:.2f}x, "
            f"p99 {r.p99_vs_baseline:.2f}x"
            if r.baseline
            else ""
        )
        lines.append(f"{r.name:<18} {r.rps:>9.0f} {r.p50_ms:>8.2f} {r.p99_ms:>8.2f} {r.errors:>6} {ratio:>6}  {versus}")
    return "\n".join(lines)


async def first_public_slug(database_url: str) -> str | None:
    """The slug of a public product (the detail scenarios read it), or None when the catalog is empty."""
    import asyncpg

    connection = await asyncpg.connect(database_url)
    try:
        slug: str | None = await connection.fetchval(
            "SELECT p.slug FROM product p JOIN seller s ON s.id = p.seller "
            "WHERE p.status = 'active' AND s.status = 'approved' ORDER BY p.id LIMIT 1"
        )
        return slug
    finally:
        await connection.close()
