"""Real Redis and Meilisearch servers that a test starts, stops and restarts itself.

Fault tests use these instead of the shared services, so stopping one never disturbs the rest of the suite.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(check: object, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise RuntimeError(f"{what} did not come up within {seconds}s")


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


class OwnServer:
    """A server process on a port of its own, which can be stopped and started again on the same port."""

    def __init__(self, name: str, port: int) -> None:
        self.name = name
        self.port = port
        self.process: subprocess.Popen[bytes] | None = None
        self.workdir = Path(tempfile.mkdtemp(prefix=f"market-test-{name}-"))

    def argv(self) -> list[str]:
        raise NotImplementedError

    def ready(self) -> bool:
        return _listening(self.port)

    def start(self) -> None:
        log = (self.workdir / "server.log").open("ab")
        self.process = subprocess.Popen(self.argv(), stdout=log, stderr=log, stdin=subprocess.DEVNULL)
        _wait(self.ready, self.name)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)
        _wait(lambda: not _listening(self.port), f"{self.name} shutdown", 10)

    def cleanup(self) -> None:
        self.stop()
        shutil.rmtree(self.workdir, ignore_errors=True)


class OwnRedis(OwnServer):
    def __init__(self) -> None:
        super().__init__("redis", free_port())
        self.url = f"redis://127.0.0.1:{self.port}/0"

    def argv(self) -> list[str]:
        return [
            "redis-server",
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.workdir),
        ]


class OwnMeilisearch(OwnServer):
    def __init__(self, binary: str, master_key: str) -> None:
        super().__init__("meilisearch", free_port())
        self.binary = binary
        self.master_key = master_key
        self.url = f"http://127.0.0.1:{self.port}"

    def argv(self) -> list[str]:
        return [
            self.binary,
            "--db-path",
            str(self.workdir / "data"),
            "--http-addr",
            f"127.0.0.1:{self.port}",
            "--master-key",
            self.master_key,
            "--no-analytics",
            "--env",
            "development",
        ]

    def ready(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/health", timeout=0.5) as response:
                return bool(response.status == 200)
        except OSError:
            return False


def meili_binary() -> str:
    """The Meilisearch binary `deploy/dev` verified (MEILI_BIN), or a clear skip reason."""
    binary = os.environ.get("MEILI_BIN")
    if not binary or not os.access(binary, os.X_OK):
        pytest.skip("MEILI_BIN is not set: run the suite through `deploy/dev test`, which installs Meilisearch")
    return binary


def redis_server_available() -> None:
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed: run the suite through `deploy/dev test`")
