"""The request context's cheap parts keep their promises: unique ids, a forked worker's own prefix, the gauge."""

from __future__ import annotations

import os
import re

from prometheus_client import generate_latest

from market.web.metrics import in_flight
from market.web.observability import request_ids


def test_request_ids_are_32_hex_digits_and_unique() -> None:
    made = [request_ids.new() for _ in range(10_000)]
    assert all(re.fullmatch(r"[0-9a-f]{32}", value) for value in made)
    assert len(set(made)) == len(made)


def test_a_forked_worker_draws_its_own_prefix() -> None:
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report its first id and leave at once
        os.write(write, request_ids.new().encode())
        os._exit(0)
    os.waitpid(pid, 0)
    child = os.read(read, 64).decode()
    os.close(read)
    os.close(write)
    assert len(child) == 32 and child[:16] != request_ids.new()[:16]


def test_the_in_progress_gauge_counts_requests_being_served() -> None:
    def gauge() -> float:
        line = next(line for line in generate_latest().decode().splitlines()
                    if line.startswith("market_requests_in_progress "))  # fmt: skip
        return float(line.split()[1])

    before = gauge()
    in_flight.enter()
    try:
        assert gauge() == before + 1
    finally:
        in_flight.leave()
    assert gauge() == before


def test_request_metrics_count_and_bucket_each_route_and_status_when_scraped() -> None:
    """The plain per-process series come out as Prometheus' counter and histogram: a count per (method, route,
    status), cumulative `le` buckets (a duration on a bound counts in that bucket), the sum, and `_count`."""
    from prometheus_client import CollectorRegistry
    from prometheus_client.parser import text_string_to_metric_families

    from market.web.metrics import RequestMetrics

    metrics = RequestMetrics()
    for elapsed in (0.004, 0.005, 0.2, 12.0):
        metrics.observe("GET", "/probe/{slug:str}", 200, elapsed)
    metrics.observe("GET", None, 404, 0.001)
    families = {family.name: family for family in metrics.collect()}
    registry = CollectorRegistry()
    registry.register(metrics)
    text = generate_latest(registry).decode()
    parsed = {family.name: family for family in text_string_to_metric_families(text)}
    assert set(parsed) == {"market_requests", "market_request_duration_seconds"}
    assert families["market_requests"].type == "counter"
    counts = {(s.labels["path"], s.labels["status_code"]): s.value for s in parsed["market_requests"].samples
              if s.name == "market_requests_total"}  # fmt: skip
    assert counts == {("/probe/{slug:str}", "200"): 4, ("unmatched", "404"): 1}
    samples = [s for s in parsed["market_request_duration_seconds"].samples if s.labels["path"] == "/probe/{slug:str}"]
    buckets = {s.labels["le"]: s.value for s in samples if s.name.endswith("_bucket")}
    assert buckets["0.005"] == 2 and buckets["0.25"] == 3 and buckets["10.0"] == 3 and buckets["+Inf"] == 4
    assert next(s.value for s in samples if s.name.endswith("_count")) == 4
    assert abs(next(s.value for s in samples if s.name.endswith("_sum")) - 12.209) < 1e-9
    assert all(s.labels["app_name"] == "market" and s.labels["method"] == "GET" for s in samples)
