"""The gateway's HTTP/1.1 client to the services: keep-alive reuse, the pool limit, a service going away."""

from __future__ import annotations

import asyncio

import pytest

from gateway.upstream import Upstream, UpstreamTimeout, UpstreamUnavailable

pytestmark = pytest.mark.asyncio(loop_scope="session")


class CountingServer:
    """Answers every request `ok` (keep-alive), counting connections and the most open at once."""

    def __init__(self, delay_s: float = 0.0) -> None:
        self.connections = 0
        self.open = 0
        self.most_open = 0
        self.delay_s = delay_s
        self.server: asyncio.Server | None = None
        self.writers: list[asyncio.StreamWriter] = []

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.writers.append(writer)
        self.open += 1
        self.most_open = max(self.most_open, self.open)
        try:
            while await reader.readuntil(b"\r\n\r\n"):
                await asyncio.sleep(self.delay_s)
                writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            self.open -= 1
            writer.close()

    def close(self) -> None:
        """Stop listening and drop every open connection."""
        assert self.server is not None
        self.server.close()
        for writer in self.writers:
            writer.close()


async def test_sequential_requests_reuse_one_keep_alive_connection() -> None:
    server = CountingServer()
    upstream = Upstream("svc", await server.start(), connections=8, timeout_s=5)
    try:
        answers = [await upstream.get("/x") for _ in range(20)]
    finally:
        await upstream.close()
        server.close()
    assert answers == [(200, b"ok")] * 20
    assert server.connections == 1


async def test_concurrent_requests_never_open_more_than_the_pool_allows() -> None:
    server = CountingServer(delay_s=0.01)
    upstream = Upstream("svc", await server.start(), connections=3, timeout_s=5)
    try:
        answers = await asyncio.gather(*(upstream.get("/x") for _ in range(30)))
    finally:
        await upstream.close()
        server.close()
    assert answers == [(200, b"ok")] * 30
    assert server.most_open <= 3


async def test_a_service_that_is_gone_is_reported_unavailable_and_the_pool_recovers() -> None:
    server = CountingServer()
    url = await server.start()
    upstream = Upstream("svc", url, connections=2, timeout_s=5)
    try:
        assert await upstream.get("/x") == (200, b"ok")
        server.close()
        for _ in range(3):
            with pytest.raises(UpstreamUnavailable):
                await upstream.get("/x")
        assert upstream._in_use == 0  # every failed attempt gave its slot back
    finally:
        await upstream.close()


class ScriptedServer:
    """Answers each request on a connection with the next of `answers` (raw bytes; None: close without a word),
    counting connections and requests; then keeps the connection open, or closes it (`then_close`)."""

    def __init__(self, *answers: bytes | None, delay_s: float = 0.0, then_close: bool = False) -> None:
        self.answers = answers
        self.delay_s = delay_s
        self.then_close = then_close
        self.connections = 0
        self.requests: list[bytes] = []
        self.server: asyncio.Server | None = None

    async def start(self) -> str:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self.server.sockets[0].getsockname()[1]}"

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        try:
            for answer in self.answers:
                self.requests.append(await reader.readuntil(b"\r\n\r\n"))
                await asyncio.sleep(self.delay_s)
                if answer is None:
                    break
                writer.write(answer)
                await writer.drain()
            else:
                if not self.then_close:
                    await reader.read()  # keep the connection open until the client closes it
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    def close(self) -> None:
        assert self.server is not None
        self.server.close()


OK = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok"


async def test_an_idle_pooled_connection_is_handed_out_at_once_and_none_when_there_is_none() -> None:
    server = ScriptedServer(OK, OK)
    upstream = Upstream("svc", await server.start(), connections=1, timeout_s=5)
    try:
        assert upstream.acquire_idle() is None  # nothing pooled yet: `acquire` must open one
        assert await upstream.get("/x") == (200, b"ok")
        connection = upstream.acquire_idle()
        assert connection is not None
        assert connection.reused
        assert upstream.acquire_idle() is None  # the pool's one slot is taken
        upstream.discard(connection)
        assert (upstream.acquire_idle(), upstream._in_use) == (None, 0)  # discarded: nothing idle, the slot free
        assert await upstream.get("/y") == (200, b"ok")
    finally:
        await upstream.close()
        server.close()
    assert server.connections == 2


async def test_a_listener_hears_an_answer_that_came_in_one_read_once_and_whole() -> None:
    server = ScriptedServer(OK, OK)
    upstream = Upstream("svc", await server.start(), connections=2, timeout_s=5)
    heard: list[tuple[bool, bool]] = []
    try:
        await upstream.get("/warm")
        connection = upstream.acquire_idle()
        assert connection is not None
        done = asyncio.get_running_loop().create_future()

        def listener() -> None:
            assert connection is not None
            heard.append((connection.headers_done, connection.complete))
            done.set_result(None)

        connection.listener = listener
        connection.write(b"GET /x HTTP/1.1\r\nhost: svc\r\n\r\n")
        await asyncio.wait_for(done, 5)
        assert (connection.status, b"".join(connection.take())) == (200, b"ok")
        upstream.release(connection)
    finally:
        await upstream.close()
        server.close()
    assert heard == [(True, True)]


async def test_a_watched_connection_that_hears_nothing_times_out_and_tells_its_listener() -> None:
    server = ScriptedServer(OK, OK, delay_s=0.5)
    upstream = Upstream("svc", await server.start(), connections=2, timeout_s=5)
    try:
        await upstream.get("/warm")
        connection = upstream.acquire_idle()
        assert connection is not None
        told = asyncio.get_running_loop().create_future()
        connection.listener = lambda: told.set_result(connection.error) if not told.done() else None
        connection.write(b"GET /slow HTTP/1.1\r\nhost: svc\r\n\r\n")
        connection.watch(0.1)
        error = await asyncio.wait_for(told, 5)
        upstream.discard(connection)
    finally:
        await upstream.close()
        server.close()
    assert isinstance(error, UpstreamTimeout)
    assert connection.closed


async def test_a_watch_whose_deadline_was_cleared_never_fires() -> None:
    server = ScriptedServer(OK, OK, delay_s=0.3)
    upstream = Upstream("svc", await server.start(), connections=2, timeout_s=5)
    try:
        await upstream.get("/warm")
        connection = upstream.acquire_idle()
        assert connection is not None
        connection.watch(0.1)
        connection.deadline = None  # the answer came (as the direct path clears it)
        await asyncio.sleep(0.25)
        assert (connection.error, connection.closed) == (None, False)
        upstream.release(connection)
    finally:
        await upstream.close()
        server.close()


async def test_a_chunked_answer_is_read_whole() -> None:
    chunked = b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n"
    server = ScriptedServer(chunked, OK)
    upstream = Upstream("svc", await server.start(), connections=2, timeout_s=5)
    try:
        first = await upstream.get("/chunked")
        second = await upstream.get("/after")
    finally:
        await upstream.close()
        server.close()
    assert (first, second) == ((200, b"hello world"), (200, b"ok"))
    assert server.connections == 1  # the chunked answer ended cleanly: the connection was kept


async def test_an_answer_cut_short_is_an_error_not_a_short_body() -> None:
    server = ScriptedServer(b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\nonly", then_close=True)
    upstream = Upstream("svc", await server.start(), connections=2, timeout_s=5)
    try:
        with pytest.raises(UpstreamUnavailable):
            await upstream.get("/x")
        assert upstream._in_use == 0
        assert upstream.acquire_idle() is None  # the broken connection was not pooled
    finally:
        await upstream.close()
        server.close()


async def test_a_connection_the_service_closed_while_idle_is_not_handed_out_again() -> None:
    server = ScriptedServer(OK, None)  # answers once, then closes on the next request
    upstream = Upstream("svc", await server.start(), connections=2, timeout_s=5)
    try:
        assert await upstream.get("/one") == (200, b"ok")
        assert await upstream.get("/two") == (200, b"ok")  # the stale connection failed; a fresh one answered
    finally:
        await upstream.close()
        server.close()
    assert server.connections == 2
