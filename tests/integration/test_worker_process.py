"""`market worker` as operators run it: a separate process that relays and delivers, and stops cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys

from market.core.db import transaction
from market.core.outbox.service import record
from market.core.outbox.tables import OutboxEvent


async def test_worker_process_delivers_committed_events_and_stops_on_sigterm() -> None:
    async with transaction():
        event_id = await record("nobody.listens", {"n": 1})
    worker = subprocess.Popen(
        [sys.executable, "-m", "market.cli", "worker"],
        env={**os.environ, "OUTBOX_POLL_INTERVAL_MS": "50"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        for _ in range(300):
            row = await OutboxEvent.select(OutboxEvent.delivered_at).where(OutboxEvent.event_id == event_id).first()
            if row and row["delivered_at"] is not None:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("the worker did not deliver the event within 15 s")
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=20)
    assert worker.returncode == 0, output.decode()
