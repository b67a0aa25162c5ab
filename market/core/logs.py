"""Logging for every process (API, worker, CLI): one JSON object per line (or a readable line with
LOG_FORMAT=console), each carrying the id of the request that produced it (`current_request_id`, set by the HTTP
layer's middleware, `market.web.observability`)."""

from __future__ import annotations

import logging
import sys
from contextvars import ContextVar
from typing import Any

import msgspec
import structlog

from market.settings import Settings

current_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)


def _add_request_id(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """structlog processor: every line logged while serving a request carries its id."""
    request_id = current_request_id.get()
    if request_id is not None:
        event.setdefault("request_id", request_id)
    return event


class _CurrentStdout:
    """Whatever `sys.stdout` is when a line is written, not when logging was configured (a test runner swaps it,
    and closes the one it swapped out)."""

    def write(self, data: bytes) -> int:
        return sys.stdout.buffer.write(data)

    def flush(self) -> None:
        sys.stdout.flush()


class _CurrentConsole:
    def write(self, text: str) -> int:
        return sys.stdout.write(text)

    def flush(self) -> None:
        sys.stdout.flush()


STDOUT: Any = _CurrentStdout()
_CONSOLE: Any = _CurrentConsole()


def configure_logging(settings: Settings) -> None:
    """One JSON object per line (or a readable line with LOG_FORMAT=console), for our logs and the libraries'.

    Our own loggers take structlog's fast path (bytes straight to stdout, cached filtering loggers, msgspec's
    encoder): the access line is written for every request, so it must cost microseconds. Libraries' stdlib
    logging goes through the same processors via a handler on the root logger.
    """
    level = getattr(logging, settings.log_level.upper())
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        _add_request_id,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.format_exc_info,
    ]
    if settings.log_format == "json":
        renderer: Any = structlog.processors.JSONRenderer(serializer=_json_bytes)
        factory: Any = structlog.BytesLoggerFactory(STDOUT)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=False)
        factory = structlog.PrintLoggerFactory(_CONSOLE)
    structlog.configure(
        processors=[*shared, renderer],
        logger_factory=factory,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        cache_logger_on_first_use=False,  # the lookup is cheap; tests and the CLI reconfigure at run time
    )
    stdlib_renderer = (
        structlog.processors.JSONRenderer() if settings.log_format == "json" else structlog.dev.ConsoleRenderer()
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[structlog.stdlib.ProcessorFormatter.remove_processors_meta, stdlib_renderer],
        )
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("saq", "httpx", "asyncio"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))


def _json_bytes(event: Any, **_: Any) -> bytes:
    return _ENCODER.encode(event)


_ENCODER = msgspec.json.Encoder(enc_hook=str)
