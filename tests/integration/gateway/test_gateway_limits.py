"""Hostile clients against the real gateway server, over raw sockets: oversized heads, too many headers, long
targets, clients that drip or stall their request, idle keep-alive connections."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from typing import Any
from urllib.parse import urlsplit

import pytest
import pytest_asyncio

from gateway.settings import DEV_BOOTSTRAP_ADMIN_KEY
from tests.harness.services import RunningServer
from tests.integration.gateway.conftest import StartGateway

pytestmark = pytest.mark.asyncio(loop_scope="session")

SHORT = 0.5  # head and keep-alive timeouts of the gateway under test, in seconds
ECHO = b"/api/v1/catalog/echo/limits"
KEY = b"x-api-key: " + DEV_BOOTSTRAP_ADMIN_KEY.encode() + b"\r\n"


@pytest_asyncio.fixture(loop_scope="session")
async def quick(start_gateway: StartGateway) -> RunningServer:
    """A gateway with short head and keep-alive timeouts."""
    return await start_gateway(request_head_timeout_s=SHORT, keep_alive_timeout_s=SHORT)


async def connect(gateway: RunningServer) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    url = urlsplit(gateway.base_url)
    return await asyncio.open_connection(url.hostname, url.port, limit=1 << 20)


def get(target: bytes = ECHO, headers: bytes = b"") -> bytes:
    return b"GET " + target + b" HTTP/1.1\r\nhost: gateway\r\n" + KEY + headers + b"\r\n"


async def read_answer(reader: asyncio.StreamReader) -> tuple[int, dict[str, str], bytes]:
    """One HTTP/1.1 answer with a content-length: status, headers (lower-case), body."""
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {}
    for line in lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return int(status_line.split(" ")[1]), headers, body


async def send_and_read(gateway: RunningServer, request: bytes) -> tuple[int, dict[str, str], bytes, float]:
    """Send `request` (in the background: the gateway may stop reading it) and read the answer and the close."""
    reader, writer = await connect(gateway)
    started = time.perf_counter()

    async def send() -> None:
        with contextlib.suppress(ConnectionError):
            writer.write(request)
            await writer.drain()

    sending = asyncio.create_task(send())
    try:
        status, headers, body = await asyncio.wait_for(read_answer(reader), timeout=5)
        took = time.perf_counter() - started
        # Then the gateway closes: with a reset when it leaves part of the request unread.
        assert (await closed_after(reader))[0] == b""
        return status, headers, body, took
    finally:
        sending.cancel()
        writer.close()


async def closed_after(reader: asyncio.StreamReader, timeout_s: float = 5.0) -> tuple[bytes, float]:
    """What the gateway sent until it closed the connection, and how long that took."""
    started = time.perf_counter()
    received = b""
    with contextlib.suppress(ConnectionError):  # a reset once the gateway closed is a close too
        async with asyncio.timeout(timeout_s):
            while chunk := await reader.read(65536):
                received += chunk
    return received, time.perf_counter() - started


def problem(body: bytes) -> dict[str, Any]:
    document: dict[str, Any] = json.loads(body)
    return document


@pytest.mark.parametrize("size", [1024 * 1024, 8 * 1024 * 1024], ids=["1MB", "8MB"])
async def test_a_huge_header_is_answered_431_and_closed_in_under_a_second(gateway: RunningServer, size: int) -> None:
    status, headers, body, took = await send_and_read(gateway, get(headers=b"x-big: " + b"a" * size + b"\r\n"))
    assert status == 431
    assert headers["content-type"] == "application/problem+json"
    assert headers["connection"] == "close"
    assert "16384 bytes" in problem(body)["detail"]
    assert took < 1.0


async def test_ten_thousand_headers_are_answered_431(gateway: RunningServer) -> None:
    many = b"".join(b"x-h%d: v\r\n" % index for index in range(10_000))
    status, _, body, took = await send_and_read(gateway, get(headers=many))
    assert status == 431
    assert problem(body)["status"] == 431
    assert took < 1.0


async def test_more_than_100_small_headers_are_answered_431_though_the_head_is_small(gateway: RunningServer) -> None:
    many = b"".join(b"x-h%d: v\r\n" % index for index in range(101))
    status, _, body, _ = await send_and_read(gateway, get(headers=many))
    assert status == 431
    assert "more than 100 header fields" in problem(body)["detail"]


async def test_a_20_kib_request_target_is_answered_414(gateway: RunningServer) -> None:
    status, headers, body, _ = await send_and_read(gateway, get(target=ECHO + b"?q=" + b"a" * 20 * 1024))
    assert status == 414
    assert headers["content-type"] == "application/problem+json"
    assert "8192 bytes" in problem(body)["detail"]


async def test_a_client_that_sends_half_a_head_and_stops_is_answered_408_and_disconnected(quick: RunningServer) -> None:
    reader, writer = await connect(quick)
    writer.write(b"GET " + ECHO + b" HTTP/1.1\r\nhost: gateway\r\nx-half: ")
    received, took = await closed_after(reader)
    writer.close()
    assert received.startswith(b"HTTP/1.1 408 ")
    assert SHORT * 0.8 <= took < SHORT + 2


async def test_a_client_that_drips_its_head_is_disconnected_after_the_head_timeout(quick: RunningServer) -> None:
    reader, writer = await connect(quick)
    closing = asyncio.create_task(closed_after(reader))
    with contextlib.suppress(ConnectionError):
        for byte in get()[:-2]:  # one byte every 50 ms: each would reset an idle timer
            if closing.done():
                break
            writer.write(bytes([byte]))
            await writer.drain()
            await asyncio.sleep(0.05)
    received, took = await closing
    writer.close()
    assert received.startswith(b"HTTP/1.1 408 ")
    assert SHORT * 0.8 <= took < SHORT + 2


async def test_a_connection_that_sends_nothing_is_closed_after_the_head_timeout(quick: RunningServer) -> None:
    reader, writer = await connect(quick)
    received, took = await closed_after(reader)
    writer.close()
    assert received == b""  # nothing was asked: nothing is answered
    assert SHORT * 0.8 <= took < SHORT + 2


async def test_an_idle_keep_alive_connection_is_closed_after_the_idle_limit(quick: RunningServer) -> None:
    reader, writer = await connect(quick)
    writer.write(get())
    status, headers, _ = await asyncio.wait_for(read_answer(reader), timeout=5)
    assert (status, headers.get("connection")) == (200, None)  # kept alive
    received, took = await closed_after(reader)
    writer.close()
    assert received == b""
    assert SHORT * 0.8 <= took < SHORT + 2


async def test_normal_requests_still_work_with_a_large_allowed_head_a_large_body_and_pipelining(
    gateway: RunningServer,
) -> None:
    reader, writer = await connect(gateway)
    allowed = b"x-allowed: " + b"a" * 12_000 + b"\r\n"  # within 16 KiB
    body = b"b" * 100_000  # sent with the head in one write: the body is not part of the head
    post = b"POST " + ECHO + b" HTTP/1.1\r\nhost: gateway\r\n" + KEY + b"content-length: %d\r\n\r\n" % len(body) + body
    writer.write(get(headers=allowed) + post + get(target=ECHO + b"/again"))
    answers = [await asyncio.wait_for(read_answer(reader), timeout=10) for _ in range(3)]
    writer.close()
    assert [status for status, _, _ in answers] == [200, 201, 200]
    assert answers[1][2] == body
    assert answers[2][2] == b"limits/again"


async def test_the_idle_limit_counts_from_the_last_answer_not_the_first(quick: RunningServer) -> None:
    reader, writer = await connect(quick)
    writer.write(get())
    await asyncio.wait_for(read_answer(reader), timeout=5)
    await asyncio.sleep(SHORT * 0.6)
    writer.write(get())  # the connection's idle timer, armed at the first answer, fires while it is idle anew
    await asyncio.wait_for(read_answer(reader), timeout=5)
    received, took = await closed_after(reader)
    writer.close()
    assert received == b""
    assert SHORT * 0.8 <= took < SHORT + 2


async def test_a_request_that_takes_longer_than_the_idle_limit_is_not_cut_off(start_gateway: StartGateway) -> None:
    slow = await asyncio.start_server(_answer_late, "127.0.0.1", 0)
    gateway = await start_gateway(
        request_head_timeout_s=SHORT,
        keep_alive_timeout_s=SHORT,
        billing_url=f"http://127.0.0.1:{slow.sockets[0].getsockname()[1]}",
    )
    try:
        reader, writer = await connect(gateway)
        writer.write(get())  # answered at once: arms the idle timer
        await asyncio.wait_for(read_answer(reader), timeout=5)
        writer.write(get(target=b"/api/v1/billing/slow"))  # busy while the idle timer fires
        status, _, body = await asyncio.wait_for(read_answer(reader), timeout=5)
        writer.close()
    finally:
        slow.close()
    assert (status, body) == (200, b"late")


async def _answer_late(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(asyncio.IncompleteReadError, ConnectionError):
        while await reader.readuntil(b"\r\n\r\n"):
            await asyncio.sleep(SHORT * 1.6)
            writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 4\r\n\r\nlate")
            await writer.drain()
    writer.close()
