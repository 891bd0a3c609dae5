"""A lean HTTP/1.1 client for the proxy hot path: keep-alive connections over asyncio protocols + httptools.

One `Upstream` per service holds a LIFO pool of idle connections (closed after `idle_s`, below the services'
keep-alive timeout, so the gateway rarely writes on a connection the service is closing). A response is read
by the protocol into a small buffer; reading pauses while more than `_HIGH_WATER` bytes wait to be sent to
the client, so large bodies stream with flow control both ways. The answer's head is kept as it came (`raw_head`,
which httptools has checked, strictly: no folded lines, no bare LF, no control bytes) and its header list, with
duplicates, is made from it only when asked for (`headers`): a small answer passed on whole needs none.

Whoever uses a connection hears of progress (headers, body, the end, an error) once per read, after the whole
read is parsed: a coroutine through `wait()`, or a callback set as `listener` (the gateway's direct path,
`gateway.proxy_cycle`, which so writes a small answer that came in one read with no task and no future).
"""

from __future__ import annotations

import asyncio
import ssl
import time
from collections import deque
from collections.abc import Callable, Sequence
from urllib.parse import urlsplit

import httptools

_HIGH_WATER = 256 * 1024


class UpstreamUnavailable(Exception):
    """The service could not be reached, or dropped the connection before answering."""


class UpstreamTimeout(Exception):
    """The service did not answer (or stopped sending) within the timeout."""


class UpstreamBroken(Exception):
    """The service dropped the connection or sent an unparseable answer after the status line."""


class Connection(asyncio.Protocol):
    """One keep-alive connection to a service; reads one response at a time."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.closed = False
        self.idle_since = 0.0
        self.reused = False
        self.head_request = False
        self._write_paused = False
        self._drain: asyncio.Future[None] | None = None
        self._changed = False
        self._deadline_timer: asyncio.TimerHandle | None = None
        self.reset()

    def reset(self) -> None:
        self.status = 0
        self.raw_head = b""  # the status line and header lines, each with its CRLF
        self._head: list[bytes] | None = []  # what came until the head was complete
        self._headers: list[tuple[bytes, bytes]] | None = None
        self.chunks: list[bytes] = []
        self.buffered = 0
        self.headers_done = False
        self.complete = False
        self.reusable = False
        self.got_bytes = False
        self.error: BaseException | None = None
        self.listener: Callable[[], None] | None = None  # called instead of waking `wait()`
        self.deadline: float | None = None  # loop time by which the listener must hear something (`watch`)
        self._waiter: asyncio.Future[None] | None = None
        self._reading_paused = False

    # ---- asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]  # uvloop's transports do not subclass asyncio's

    def data_received(self, data: bytes) -> None:
        self.got_bytes = True
        if self.head_request and self.complete:
            return
        head = self._head
        if head is not None:
            head.append(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.error = UpstreamBroken(f"unparseable answer: {exc}")
            self.close()
            self._changed = True
        if self._changed:  # once per read, whatever the parser found in it
            self._changed = False
            self._wake()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        if not self.complete and self.error is None:
            self.error = exc or ConnectionResetError("connection closed by the service")
        self._wake()
        drain, self._drain = self._drain, None
        if drain is not None and not drain.done():
            drain.set_result(None)

    def pause_writing(self) -> None:
        self._write_paused = True

    def resume_writing(self) -> None:
        self._write_paused = False
        drain, self._drain = self._drain, None
        if drain is not None and not drain.done():
            drain.set_result(None)

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        """The answer's header fields in order, names lower-cased: as httptools reports them one by one (a value
        without its leading whitespace), made from `raw_head`, which it has checked."""
        headers = self._headers
        if headers is None:
            headers = self._headers = []
            for line in self.raw_head.split(b"\r\n")[1:-1]:
                name, _, value = line.partition(b":")
                headers.append((name.lower(), value.lstrip(b" \t")))
        return headers

    # ---- httptools callbacks
    def on_headers_complete(self) -> None:
        self.status = self.parser.get_status_code()
        self.headers_done = True
        received = b"".join(self._head or ())
        self._head = None
        self.raw_head = received[: received.find(b"\r\n\r\n") + 2]
        if self.head_request:
            # The answer to HEAD has no body whatever its content-length says; the parser cannot be told
            # the request was HEAD, so the answer ends here and the connection is not reused.
            self.complete = True
            self.reusable = False
            if self.transport is not None:
                self.transport.pause_reading()
        self._changed = True

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)
        self.buffered += len(body)
        if self.buffered > _HIGH_WATER and not self._reading_paused and self.transport is not None:
            self._reading_paused = True
            self.transport.pause_reading()
        self._changed = True

    def on_message_complete(self) -> None:
        self.complete = True
        self.reusable = self.parser.should_keep_alive()  # only meaningful inside the callback
        self._changed = True

    # ---- used by the proxy
    def write(self, data: bytes) -> None:
        assert self.transport is not None
        self.transport.write(data)

    async def drain(self) -> None:
        if self._write_paused and not self.closed:
            self._drain = self.loop.create_future()
            await self._drain

    async def wait(self, timeout_s: float) -> None:
        """Until something new arrives (headers, body, end, error) or the timeout passes."""
        waiter = self._waiter = self.loop.create_future()
        timer = self.loop.call_later(timeout_s, self._time_out, waiter)
        try:
            await waiter
        finally:
            timer.cancel()

    def take(self) -> list[bytes]:
        """The body chunks received so far; resumes reading if it was paused."""
        chunks, self.chunks, self.buffered = self.chunks, [], 0
        if self._reading_paused and self.transport is not None and not self.closed:
            self._reading_paused = False
            self.transport.resume_reading()
        return chunks

    def close(self) -> None:
        self.closed = True
        timer, self._deadline_timer = self._deadline_timer, None
        if timer is not None:
            timer.cancel()
        if self.transport is not None:
            self.transport.close()

    def watch(self, timeout_s: float) -> None:
        """Time out (`UpstreamTimeout`, the listener told) unless something arrives within `timeout_s`; cleared by
        setting `deadline` to None. One timer per connection, re-armed only when it fires early: a request costs
        no timer of its own."""
        deadline = self.deadline = self.loop.time() + timeout_s
        if self._deadline_timer is None:
            self._deadline_timer = self.loop.call_at(deadline, self._check_deadline)

    def _check_deadline(self) -> None:
        self._deadline_timer = None
        deadline = self.deadline
        if deadline is None or self.closed:
            return
        if self.loop.time() < deadline:
            self._deadline_timer = self.loop.call_at(deadline, self._check_deadline)
            return
        self.deadline = None
        self.error = UpstreamTimeout()
        self.close()
        self._wake()

    def _time_out(self, waiter: asyncio.Future[None]) -> None:
        if self._waiter is waiter and not waiter.done():
            self.error = UpstreamTimeout()
            self.close()
            waiter.set_result(None)

    def _wake(self) -> None:
        listener = self.listener
        if listener is not None:
            listener()
            return
        waiter, self._waiter = self._waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


class Upstream:
    """One service behind the gateway, with its own pool of at most `connections` keep-alive connections."""

    def __init__(self, name: str, base_url: str, *, connections: int, timeout_s: float, idle_s: float = 4.0) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"{name}: upstream URL must be http(s)://host[:port], not {base_url!r}")
        self.name = name
        self.base_url = base_url.rstrip("/")
        self.host = parts.hostname
        self.ssl: ssl.SSLContext | None = ssl.create_default_context() if parts.scheme == "https" else None
        self.port = parts.port or (443 if self.ssl else 80)
        self.base_path = parts.path.encode()
        self.host_header = parts.netloc.encode()
        self.host_line = b" HTTP/1.1\r\nhost: " + self.host_header + b"\r\n"  # ends a request line
        self.timeout_s = timeout_s
        self.idle_s = idle_s
        self._max = connections
        self._in_use = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self._idle: list[Connection] = []

    async def acquire(self, *, fresh: bool = False) -> Connection:
        """A connection of the pool (a new one when `fresh`); `release` it when done."""
        if self._in_use >= self._max:
            waiter = asyncio.get_running_loop().create_future()
            self._waiters.append(waiter)
            try:
                await waiter  # release() hands its slot over
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._free_slot()  # the slot was handed over just before the cancellation
                raise
        else:
            self._in_use += 1
        try:
            if not fresh:
                now = time.monotonic()
                while self._idle:
                    connection = self._idle.pop()
                    if not connection.closed and now - connection.idle_since < self.idle_s:
                        connection.reused = True
                        return connection
                    connection.close()
            return await self._connect()
        except BaseException:
            self._free_slot()
            raise

    def acquire_idle(self) -> Connection | None:
        """A pooled keep-alive connection at once, or None when there is none to take without waiting (the pool
        is full, others wait, or nothing is idle): then `acquire` must be awaited."""
        if self._in_use >= self._max or self._waiters:
            return None
        now = time.monotonic()
        while self._idle:
            connection = self._idle.pop()
            if not connection.closed and now - connection.idle_since < self.idle_s:
                self._in_use += 1
                connection.reused = True
                return connection
            connection.close()
        return None

    def release(self, connection: Connection) -> None:
        if connection.reusable and not connection.closed and connection.error is None:
            connection.reset()
            connection.idle_since = time.monotonic()
            self._idle.append(connection)
        else:
            connection.close()
        if self._waiters:
            self._free_slot()
        else:
            self._in_use -= 1

    def discard(self, connection: Connection) -> None:
        connection.close()
        self._free_slot()

    async def _connect(self) -> Connection:
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(min(self.timeout_s, 5.0)):
                _, protocol = await loop.create_connection(lambda: Connection(loop), self.host, self.port, ssl=self.ssl)
        except (OSError, TimeoutError) as exc:
            raise UpstreamUnavailable(str(exc) or type(exc).__name__) from exc
        return protocol

    def _free_slot(self) -> None:
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)  # the slot passes to the waiter; _in_use stays
                return
        self._in_use -= 1

    async def close(self) -> None:
        for connection in self._idle:
            connection.close()
        self._idle.clear()

    async def get(self, path: str, headers: Sequence[tuple[bytes, bytes]] = ()) -> tuple[int, bytes]:
        """A plain GET of `path` for the gateway's own use (readiness, OpenAPI, a key's tenant); whole body, no
        streaming; `headers` added to the request (a signed identity)."""
        try:
            return await self._get(path, headers, fresh=False)
        except UpstreamUnavailable:
            return await self._get(path, headers, fresh=True)  # the pooled connection may have gone stale

    async def _get(self, path: str, headers: Sequence[tuple[bytes, bytes]], *, fresh: bool) -> tuple[int, bytes]:
        connection = await self.acquire(fresh=fresh)
        try:
            extra = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
            connection.write(
                b"GET "
                + self.base_path
                + path.encode()
                + b" HTTP/1.1\r\nhost: "
                + self.host_header
                + b"\r\n"
                + extra
                + b"\r\n"
            )
            body: list[bytes] = []
            while not connection.complete:
                if connection.error is not None:
                    raise UpstreamUnavailable(str(connection.error) or type(connection.error).__name__)
                await connection.wait(self.timeout_s)
                body += connection.take()
            body += connection.take()
            return connection.status, b"".join(body)
        finally:
            self.release(connection)
