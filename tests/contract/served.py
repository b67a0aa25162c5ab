"""The real app served over HTTP by granian, as a storefront or a seller tool would reach it.

Generated clients and schemathesis talk to this server, not to the app in the test's process: what they exercise is
the document the server publishes and the bytes it sends, through a real HTTP stack.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import httpx

from market.cli import granian_argv
from tests.services import free_port


class ServedApp:
    """`market.app:create_app_from_env` in a granian process on a free port (the test run's environment)."""

    def __init__(self) -> None:
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(tempfile.mkdtemp(prefix="market-contract-")) / "server.log"
        self.process: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> ServedApp:
        argv = granian_argv("market.app:create_app_from_env", "127.0.0.1", self.port)
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(argv, env={**os.environ, "LOG_ACCESS": "false"}, stdout=log, stderr=log,
                                            stdin=subprocess.DEVNULL)  # fmt: skip
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the API exited with {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/health/live", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"the API did not answer within 60 s:\n{self.log()}")

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()

    def log(self) -> str:
        """What the server wrote (tracebacks of 500s included), for failure messages."""
        return self.log_path.read_text(errors="replace")[-20_000:]
