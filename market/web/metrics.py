"""Request metrics: a count and a latency histogram per route (method, path template, status), and the requests in
progress, as Prometheus reads them at `/metrics` (Litestar's PrometheusController).

A prometheus_client `Counter` and `Histogram` take a lock each per request, and a labelled child's `inc` and
`observe` cost about 2.7 microseconds together, a tenth of a cached product page. Here a request adds to plain
per-process lists (the event loop is the only writer), and a custom collector turns them into the same metric
families when scraped: `market_requests_total` and `market_request_duration_seconds` (buckets, sum, count), with
the labels Litestar's Prometheus middleware uses (`app_name`, `method`, `path`, `status_code`).

With several workers (`PROMETHEUS_MULTIPROC_DIR` set) a scrape reads the workers' files, which only
prometheus_client's own metrics write: there the counter, histogram and gauge are used as before.
"""

from __future__ import annotations

import os
from bisect import bisect_left
from collections.abc import Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily
from prometheus_client.registry import Collector
from prometheus_client.utils import floatToGoString

APP_NAME = "market"
LABELS = ["app_name", "method", "path", "status_code"]
BUCKETS: tuple[float, ...] = Histogram.DEFAULT_BUCKETS  # the upper bounds, the last one +Inf
_BOUNDS: list[str] = [floatToGoString(bound) for bound in BUCKETS]  # type: ignore[no-untyped-call]
MULTIPROCESS = "PROMETHEUS_MULTIPROC_DIR" in os.environ or "prometheus_multiproc_dir" in os.environ
_REQUESTS_HELP = "Total requests"
_DURATION_HELP = "Request duration, in seconds"


class RequestMetrics(Collector):
    """Per (method, path template, status): the requests in each latency bucket (not cumulative) and, last, the
    sum of their durations."""

    def __init__(self) -> None:
        self.series: dict[tuple[str, str | None, int], list[Any]] = {}

    def observe(self, method: str, template: str | None, status: int, elapsed: float) -> None:
        key = (method, template, status)
        series = self.series.get(key)
        if series is None:
            series = self.series[key] = [0] * len(BUCKETS) + [0.0]
        series[bisect_left(BUCKETS, elapsed)] += 1
        series[-1] += elapsed

    def collect(self) -> Iterator[CounterMetricFamily | HistogramMetricFamily]:
        requests = CounterMetricFamily("market_requests", _REQUESTS_HELP, labels=LABELS)
        durations = HistogramMetricFamily("market_request_duration_seconds", _DURATION_HELP, labels=LABELS)
        for (method, template, status), series in list(self.series.items()):
            labels = [APP_NAME, method, template or "unmatched", str(status)]
            counts, total, cumulative = series[:-1], series[-1], 0
            buckets = []
            for bound, count in zip(_BOUNDS, counts, strict=True):
                cumulative += count
                buckets.append((bound, cumulative))
            requests.add_metric(labels, cumulative)
            durations.add_metric(labels, buckets, total)
        yield requests
        yield durations


class InFlight:
    """Requests in progress: a plain integer the gauge reads when scraped (a gauge's inc and dec take a lock each,
    a microsecond a request). With multiprocess metrics the gauge is counted as before."""

    def __init__(self, gauge: Gauge) -> None:
        self.count = 0
        self.gauge = gauge
        if not MULTIPROCESS:
            gauge.set_function(lambda: self.count)

    def enter(self) -> None:
        if MULTIPROCESS:
            self.gauge.inc()
        self.count += 1

    def leave(self) -> None:
        if MULTIPROCESS:
            self.gauge.dec()
        self.count -= 1


class _MultiprocessMetrics:
    """The same series through prometheus_client's metrics, which write the files a multiprocess scrape reads."""

    def __init__(self) -> None:
        self.requests = Counter("market_requests_total", _REQUESTS_HELP, LABELS)
        self.durations = Histogram("market_request_duration_seconds", _DURATION_HELP, LABELS)
        self.children: dict[tuple[str, str | None, int], tuple[Any, Any]] = {}

    def observe(self, method: str, template: str | None, status: int, elapsed: float) -> None:
        key = (method, template, status)
        children = self.children.get(key)
        if children is None:
            labels = (APP_NAME, method, template or "unmatched", str(status))
            children = self.children[key] = (self.requests.labels(*labels), self.durations.labels(*labels))
        children[0].inc()
        children[1].observe(elapsed)


def _request_metrics() -> RequestMetrics | _MultiprocessMetrics:
    if MULTIPROCESS:
        return _MultiprocessMetrics()
    collector = RequestMetrics()
    REGISTRY.register(collector)
    return collector


request_metrics = _request_metrics()
in_flight = InFlight(Gauge("market_requests_in_progress", "Requests in progress", multiprocess_mode="livesum"))
