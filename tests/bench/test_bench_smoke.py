"""A few seconds of the benchmark harness, so that CI notices when it breaks. Not a performance gate."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench.harness import parse_wrk

WRK_OUTPUT = """Running 1s test @ http://127.0.0.1:1/
  2 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency   310.00us  120.00us   2.10ms   90.00%
  Latency Distribution
     50%  280.00us
     75%  340.00us
     90%  420.00us
     99%    1.20ms
  12000 requests in 1.00s, 1.50MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:  11990.50
Transfer/sec:      1.50MB
"""


def test_wrk_output_is_parsed() -> None:
    assert parse_wrk(WRK_OUTPUT) == (12000, 11990.5, 0.28, 1.2, 7)


@pytest.mark.bench
def test_bench_smoke_reports_b0_and_health_with_ratio(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tests.bench", "--duration", "1", "--connections", "4", "--threads", "1",
         "--scenarios", "health_live", "--out", str(tmp_path)],
        env={**os.environ, "LOG_ACCESS": "false"}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    report = json.loads((tmp_path / "latest.json").read_text())
    by_name = {row["name"]: row for row in report["results"]}
    assert set(by_name) == {"B0", "health_live"}
    assert all(row["requests"] > 0 and row["errors"] == 0 for row in by_name.values())
    assert by_name["B0"]["ratio_to_b0"] == 1.0
    assert by_name["health_live"]["ratio_to_b0"] > 0
    assert "health_live" in result.stdout


def test_generated_products_are_reproducible_and_valid() -> None:
    from tests.bench.generate import products

    first = list(products(500, seed=3))
    assert first == list(products(500, seed=3))
    assert len({product["name"] for product in first}) == 500
    skus = [variant["sku"] for product in first for variant in product["variants"]]
    assert len(skus) == len(set(skus))
    for product in first:
        for variant in product["variants"]:
            assert isinstance(variant["price"], int) and variant["price"] > 0
            assert variant["weight_g"] > 0
            assert (variant["stock"] is None) == product["pre_order"]
    assert any("Mãng cầu Bà Đen" in product["name"] for product in first)
