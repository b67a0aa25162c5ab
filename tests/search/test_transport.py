"""The query transport against a small HTTP server: kept-alive connections, Meilisearch closing an idle one, chunked
answers, and the SDK's errors for a Meilisearch that is down or too slow."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from meilisearch_python_sdk.errors import MeilisearchCommunicationError, MeilisearchTimeoutError

from search.transport import MeiliTransport

Reply = Callable[[bytes], Awaitable[bytes | None]]


class Server:
    """Answers each request with what `reply` returns for its body (None: close without answering)."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[bytes] = []
        self.reply: Reply = self.ok
        self.close_after_answer = False

    @staticmethod
    async def ok(body: bytes) -> bytes:
        return b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: %d\r\n\r\n%s" % (
            len(body), body)  # fmt: skip

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = int(head.lower().split(b"content-length: ")[1].split(b"\r\n")[0])
                body = await reader.readexactly(length)
                self.requests.append(head + body)
                answer = await self.reply(body)
                if answer is None:
                    break
                writer.write(answer)
                if self.close_after_answer:
                    break
        except asyncio.IncompleteReadError:
            pass
        writer.close()


@pytest.fixture
async def server() -> AsyncIterator[tuple[Server, str]]:
    state = Server()
    listening = await asyncio.start_server(state.handle, "127.0.0.1", 0)
    port = listening.sockets[0].getsockname()[1]
    yield state, f"http://127.0.0.1:{port}"
    listening.close()


async def test_requests_reuse_one_connection_and_send_the_key_without_asking_for_gzip(
    server: tuple[Server, str],
) -> None:
    state, url = server
    transport = MeiliTransport(url, "the-key", 2)
    for n in range(3):
        answer = await transport.post("indexes/p/search", b'{"q": "%d"}' % n)
        assert (answer.status, answer.content_type, answer.body) == (200, "application/json", b'{"q": "%d"}' % n)
    assert state.connections == 1
    head = state.requests[0].lower()
    assert head.startswith(b"post /indexes/p/search http/1.1\r\n")
    assert b"authorization: bearer the-key\r\n" in head
    assert b"accept-encoding" not in head
    transport.close()


async def test_a_connection_closed_while_idle_is_retried_on_a_new_one(server: tuple[Server, str]) -> None:
    state, url = server
    state.close_after_answer = True
    transport = MeiliTransport(url, None, 2)
    assert (await transport.post("search", b"{}")).body == b"{}"
    await asyncio.sleep(0.05)
    assert (await transport.post("search", b"[]")).body == b"[]"
    assert state.connections == 2


async def test_chunked_answers_are_read_whole(server: tuple[Server, str]) -> None:
    state, url = server

    async def chunked(body: bytes) -> bytes:
        return b'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n3\r\n{"a\r\n5\r\n": 1}\r\n0\r\n\r\n'

    state.reply = chunked
    transport = MeiliTransport(url, None, 2)
    assert (await transport.post("search", b"{}")).body == b'{"a": 1}'
    assert (await transport.post("search", b"{}")).body == b'{"a": 1}'
    assert state.connections == 1


async def test_a_broken_answer_or_no_server_is_a_communication_error(server: tuple[Server, str]) -> None:
    state, url = server

    async def hang_up(body: bytes) -> None:
        return None

    state.reply = hang_up
    with pytest.raises(MeilisearchCommunicationError):
        await MeiliTransport(url, None, 2).post("search", b"{}")
    with pytest.raises(MeilisearchCommunicationError):
        await MeiliTransport("http://127.0.0.1:1", None, 2).post("search", b"{}")


async def test_no_answer_in_time_is_a_timeout(server: tuple[Server, str]) -> None:
    state, url = server

    async def slow(body: bytes) -> bytes:
        await asyncio.sleep(1)
        return await Server.ok(body)

    state.reply = slow
    transport = MeiliTransport(url, None, 0.2)
    with pytest.raises(MeilisearchTimeoutError):
        await transport.post("search", b"{}")
    state.reply = Server.ok
    assert (await transport.post("search", b"{}")).status == 200  # a new connection; the late one was dropped


async def test_a_meilisearch_over_https_is_asked_through_the_sdk_client() -> None:
    """TLS is httpx's job: an https MEILI_URL takes the SDK's client, with the same errors (it was a ValueError,
    a 500, on every search)."""
    from meilisearch_python_sdk import AsyncClient

    from search.service import post_raw
    from search.transport import transport_for

    async with AsyncClient("https://127.0.0.1:9", "key", timeout=1) as meili:  # nothing listens on port 9
        assert transport_for(meili) is None
        with pytest.raises(MeilisearchCommunicationError):
            await post_raw(meili, "indexes/products/search", b"{}")
