"""The gateway's HTTP/1.1 client to the services: keep-alive reuse, the pool limit, a service going away."""

from __future__ import annotations

import asyncio

import pytest

from gateway.upstream import Upstream, UpstreamUnavailable

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
