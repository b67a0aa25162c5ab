"""The query path's connection to Meilisearch: kept-alive HTTP/1.1 connections, one per request in flight.

Searches and suggestions are small POSTs answered in milliseconds, so the client's own cost is a large part of
theirs. Through httpx (the SDK's client) one search cost the API about 4.6 ms of CPU, more than Meilisearch spent
answering it (3 ms; measured at 64 connections on 100,000 products): the connection pool's bookkeeping per request,
only 20 connections kept alive for 64 requests in flight (the others connected and closed every time), and gzip
(httpx asks for it; Meilisearch then compresses every answer and the API inflates it, on the same two cores).
Raising httpx's limits made it worse (its pool scans every connection for every request). This speaks just the
HTTP Meilisearch answers a search with, on asyncio streams: a request is one write, an answer a header block and
a `Content-Length` body (chunked bodies are read too), no compression; the connection then goes back to an idle
stack (the most recently used first) for the next request.

Failures raise the SDK's errors, as its client does: `MeilisearchCommunicationError` (unreachable, or the connection
broke), `MeilisearchTimeoutError` (no answer within the timeout), and the status and body for the caller to judge.
A kept-alive connection Meilisearch closed while idle is retried once on a new one (a search changes nothing).
A Meilisearch reached over https is asked through the SDK's own client instead (`post_httpx`): TLS is httpx's job.
"""

from __future__ import annotations

import asyncio
import weakref
from dataclasses import dataclass
from typing import Final
from urllib.parse import urlsplit

import httpx
from meilisearch_python_sdk import AsyncClient
from meilisearch_python_sdk.errors import MeilisearchCommunicationError, MeilisearchTimeoutError

MAX_IDLE: Final = 256
"""Idle connections kept; more than the requests a worker has in flight at once."""
MAX_HEAD: Final = 64 * 1024

_Stream = tuple[asyncio.StreamReader, asyncio.StreamWriter]


@dataclass(frozen=True)
class Answer:
    """Meilisearch's answer: status, content type and body as sent."""

    status: int
    content_type: str
    body: bytes


class _Broken(Exception):
    """The connection failed; `fresh` says whether it was new (then retrying on another would not help)."""

    def __init__(self, fresh: bool, cause: BaseException) -> None:
        super().__init__(repr(cause))
        self.fresh = fresh


class MeiliTransport:
    """Kept-alive connections to one Meilisearch, for POSTs of JSON bodies (searches)."""

    def __init__(self, url: str, api_key: str | None, timeout_s: float) -> None:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise ValueError(f"the query path speaks plain http to Meilisearch, not {url!r}")
        self.host, self.port = parts.hostname, parts.port or 80
        self.base_path = parts.path.rstrip("/")
        self.timeout_s = timeout_s
        host = f"{self.host}:{self.port}".encode()
        auth = f"Authorization: Bearer {api_key}\r\n".encode() if api_key else b""
        self._head = b"Host: " + host + b"\r\n" + auth + b"Content-Type: application/json\r\nContent-Length: "
        self._idle: list[_Stream] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    async def post(self, path: str, body: bytes) -> Answer:
        """POST `body` (JSON) to `path` (relative to the base URL, such as `indexes/products/search`).

        Raises:
            MeilisearchCommunicationError: Meilisearch is unreachable or broke the connection.
            MeilisearchTimeoutError: no answer within the timeout.
        """
        request = b"POST %s/%s HTTP/1.1\r\n%s%d\r\n\r\n%s" % (
            self.base_path.encode(), path.encode(), self._head, len(body), body
        )  # fmt: skip
        try:
            async with asyncio.timeout(self.timeout_s):
                try:
                    return await self._exchange(request)
                except _Broken as broken:
                    if broken.fresh:
                        raise
                    return await self._exchange(request, fresh=True)  # it closed while idle: once more
        except TimeoutError as exc:
            raise MeilisearchTimeoutError(f"Meilisearch did not answer in {self.timeout_s} s") from exc
        except _Broken as exc:
            raise MeilisearchCommunicationError(f"Meilisearch is unreachable: {exc}") from exc

    async def _exchange(self, request: bytes, *, fresh: bool = False) -> Answer:
        stream = None if fresh else self._take()
        fresh = stream is None
        try:
            if stream is None:
                stream = await asyncio.open_connection(self.host, self.port)
            reader, writer = stream
            writer.write(request)
            answer, keep = await _read_answer(reader)
        except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError) as exc:
            if stream is not None:
                stream[1].close()
            raise _Broken(fresh, exc) from exc
        except BaseException:  # cancelled or timed out mid-answer: the connection is in an unknown state
            if stream is not None:
                stream[1].close()
            raise
        if keep and len(self._idle) < MAX_IDLE:
            self._idle.append(stream)
        else:
            writer.close()
        return answer

    def _take(self) -> _Stream | None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # connections belong to the loop that opened them
            self._idle.clear()
            self._loop = loop
        while self._idle:
            reader, writer = self._idle.pop()
            if not (reader.at_eof() or writer.is_closing()):
                return reader, writer
            writer.close()
        return None

    def close(self) -> None:
        """Close the idle connections (those in use close as their requests end)."""
        for _, writer in self._idle:
            writer.close()
        self._idle.clear()


async def _read_answer(reader: asyncio.StreamReader) -> tuple[Answer, bool]:
    """The status, content type and body of one answer, and whether the connection may be reused."""
    head = await reader.readuntil(b"\r\n\r\n")
    if len(head) > MAX_HEAD:
        raise ValueError("answer header too large")
    lines = head.decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    status = int(rest[:3])
    length, chunked, keep, content_type = -1, False, version == "HTTP/1.1", ""
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "content-length":
            length = int(value)
        elif name == "transfer-encoding":
            chunked = "chunked" in value.lower()
        elif name == "connection":
            keep = "close" not in value.lower()
        elif name == "content-type":
            content_type = value.strip()
    if chunked:
        body = await _read_chunked(reader)
    elif length >= 0:
        body = await reader.readexactly(length)
    else:  # delimited by the end of the connection
        body, keep = await reader.read(), False
    return Answer(status, content_type, body), keep


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers
                pass
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


_transports: weakref.WeakKeyDictionary[AsyncClient, MeiliTransport | None] = weakref.WeakKeyDictionary()


def transport_for(meili: AsyncClient) -> MeiliTransport | None:
    """The query transport of an SDK client (same URL, key and timeout, made on first use); None for a
    Meilisearch reached over https, which the SDK's own client (httpx, with TLS) then serves."""
    if meili in _transports:
        return _transports[meili]
    client = meili.http_client
    transport = None
    if client.base_url.scheme == "http":
        key = client.headers.get("Authorization", "").partition(" ")[2] or None
        transport = MeiliTransport(str(client.base_url), key, client.timeout.read or 5.0)
    _transports[meili] = transport
    return transport


async def post_httpx(meili: AsyncClient, path: str, body: bytes) -> Answer:
    """The same POST on the SDK's client (https), with the same errors as `MeiliTransport.post`."""
    try:
        response = await meili.http_client.post(path, content=body, headers={"Content-Type": "application/json"})
    except httpx.TimeoutException as exc:
        raise MeilisearchTimeoutError(f"Meilisearch did not answer in time: {exc!r}") from exc
    except httpx.TransportError as exc:
        raise MeilisearchCommunicationError(f"Meilisearch is unreachable: {exc!r}") from exc
    return Answer(response.status_code, response.headers.get("content-type", ""), response.content)
