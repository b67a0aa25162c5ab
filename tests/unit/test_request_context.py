"""The request context's cheap parts keep their promises: unique ids, a forked worker's own prefix, the gauge."""

from __future__ import annotations

import os
import re

from prometheus_client import generate_latest

from market.web.observability import in_flight, request_ids


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
