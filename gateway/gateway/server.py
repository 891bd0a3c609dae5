"""The gateway's HTTP server protocol: uvicorn's httptools protocol, with limits on what a client may send
and a response's writes sent together.

Limits (`ConnectionLimits`, set from `GatewaySettings`): a request head (request line and headers) larger
than `max_head_bytes` is answered 431 and the connection closed, without the parser ever holding more than
that; more than `max_headers` headers, 431; a request target longer than `max_url_bytes`, 414. A head must
arrive within `head_timeout_s` of the connection (first request) or of its first byte (later ones), else 408
(or a silent close if nothing came); a connection idle between requests is closed after `idle_timeout_s`
(uvicorn's keep-alive timeout). The common case costs a few comparisons per request: the byte count is
kept per `data_received`, and a timer is set only for a head that did not arrive in one piece.

uvicorn writes an answer's head on `http.response.start` and its body on `http.response.body`: two `send`
system calls per proxied request, and on loopback each one also runs the receiving side's TCP processing on
the gateway's CPU. `CoalescingTransport` keeps the writes made during one event-loop step and sends them in
one call at the end of the step (`call_soon`); a large write (a streamed body) goes out at once behind what
was kept, so flow control still sees every byte. Everything else passes through to the real transport.
"""

from __future__ import annotations

import asyncio
import json
from http import HTTPStatus
from typing import Any, ClassVar

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from bss.problems import PROBLEM_JSON, TYPE_BASE
from gateway.connection_limits import ConnectionLimits
from gateway.proxy_cycle import API_PREFIX_BYTES, DirectProxy, ProxyCycle

__all__ = ["CoalescingTransport", "ConnectionLimits", "GatewayHttpProtocol", "gateway_protocol"]

# Writes at least this large are sent at once (after anything kept): joining them would only copy bytes.
_SEND_AT_ONCE = 16 * 1024


class CoalescingTransport:
    """A transport wrapper whose writes within one event-loop step leave in one system call."""

    __slots__ = ("_kept", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._kept: list[bytes] | None = None

    def write(self, data: bytes) -> None:
        kept = self._kept
        if len(data) >= _SEND_AT_ONCE:
            if kept is not None:
                self.flush()
            self._transport.write(data)
        elif kept is None:
            self._kept = [data]
            self._loop.call_soon(self.flush)
        else:
            kept.append(data)

    def write_now(self, data: bytes) -> None:
        """Write at once, behind anything kept: an answer written whole needs no coalescing."""
        if self._kept is not None:
            self.flush()
        self._transport.write(data)

    def flush(self) -> None:
        kept, self._kept = self._kept, None
        if kept and not self._transport.is_closing():
            self._transport.write(kept[0] if len(kept) == 1 else b"".join(kept))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def is_closing(self) -> bool:
        return self._transport.is_closing()  # asked on every answer: spared the `__getattr__` detour

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


LINGER_S = 2.0
"""How long a refused connection stays half-open, its input dropped, before the gateway closes it."""


class HeadRefused(Exception):
    """Raised from a parser callback to stop parsing a head that was already answered."""


class GatewayHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a `CoalescingTransport`, enforcing `limits` on request heads."""

    limits: ClassVar[ConnectionLimits] = ConnectionLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.timeout_keep_alive = self.limits.idle_timeout_s  # type: ignore[assignment]  # uvicorn's idle timer
        # Bytes the head being received may still take; None while a body is read (bodies have their own limit).
        self._head_room: int | None = self.limits.max_head_bytes
        self._head_timer: asyncio.TimerHandle | None = None
        self._refused = False
        # uvicorn's own cycles for a concurrency limit or a root path; the gateway sets neither.
        direct = self.limit_concurrency is None and not self.root_path
        self._direct = DirectProxy.of(self.app) if direct else None
        # Keep-alive: idle since (loop time; None while a request is on its way), and one timer re-armed lazily.
        self._idle_since: float | None = None
        self._idle_timer: asyncio.TimerHandle | None = None
        self.url, self.headers = b"", []  # the first request's (`on_message_begin`)

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
        self._head_timer = self.loop.call_later(self.limits.head_timeout_s, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        for timer in (self._head_timer, self._idle_timer):
            if timer is not None:
                timer.cancel()
        self._head_timer = self._idle_timer = None
        cycle = self.cycle
        if isinstance(cycle, ProxyCycle):
            cycle.connection_lost()
            self.cycle = None  # type: ignore[assignment]  # uvicorn's code below only knows its own cycles
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self._refused:
            return  # lingering after a refusal: what the client still sends is dropped unread
        room = self._head_room
        if room is not None:
            if len(data) > room:
                self._receive_past_room(data, room)
                return
            self._head_room = room - len(data)
        self._idle_since = None  # `_unset_keepalive_if_required`
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._unparsable()
        except httptools.HttpParserUpgrade:
            self._upgrade()
        room = self._head_room
        if self._head_timer is None and room is not None and room < self.limits.max_head_bytes:
            # Part of a head (or blank lines before one) came, not all of it: the rest has head_timeout_s.
            self._head_timer = self.loop.call_later(self.limits.head_timeout_s, self._head_timed_out)

    def _unset_keepalive_if_required(self) -> None:
        self._idle_since = None  # something came: not idle

    def on_response_complete(self) -> None:
        """uvicorn's, but the keep-alive timeout needs no timer per answer: the connection's one idle timer checks,
        when it fires, how long the connection has really been idle, and waits for the rest if need be."""
        self.server_state.total_requests += 1
        if self.transport.is_closing():
            return
        if self.flow.read_paused:
            self.flow.resume_reading()
        if self.pipeline:
            cycle, app = self.pipeline.pop()
            self._start_asgi_task(cycle, app)
            return
        self._idle_since = self.loop.time()
        if self._idle_timer is None:
            self._idle_timer = self.loop.call_later(self.timeout_keep_alive, self._idle_check)

    def _idle_check(self) -> None:
        self._idle_timer = None
        since = self._idle_since
        if since is None:
            return  # busy: the next answer arms it again
        left = since + self.timeout_keep_alive - self.loop.time()
        if left > 0:
            self._idle_timer = self.loop.call_later(left, self._idle_check)
        elif not self.transport.is_closing():
            self.transport.close()

    def _receive_past_room(self, data: bytes, room: int) -> None:
        """Feed only what the head may still take; refuse it if it has not ended there."""
        self._head_room = 0
        self._receive(data[:room])
        if self._refused:
            return
        if self._head_room == 0:  # neither the head's end (None) nor the message's end (reset) came
            self._refuse(431, f"The request head exceeds {self.limits.max_head_bytes} bytes.")
            return
        self.data_received(data[room:])

    def _receive(self, data: bytes) -> None:
        """uvicorn's `data_received`, except that a head refused by a limit is not answered a second time."""
        self._idle_since = None  # `_unset_keepalive_if_required`
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            self._unparsable()
        except httptools.HttpParserUpgrade:
            self._upgrade()

    def _unparsable(self) -> None:
        if not self._refused:
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)

    def _upgrade(self) -> None:
        if self._should_upgrade():
            self.handle_websocket_upgrade()
        else:
            self._unsupported_upgrade_warning()

    def on_url(self, url: bytes) -> None:
        self.url += url
        if len(self.url) > self.limits.max_url_bytes:
            self._refuse(414, f"The request target exceeds {self.limits.max_url_bytes} bytes.")
            raise HeadRefused

    def on_headers_complete(self) -> None:
        self._head_room = None
        timer = self._head_timer
        if timer is not None:
            timer.cancel()
            self._head_timer = None
        if len(self.headers) > self.limits.max_headers:
            self._refuse(431, f"The request has more than {self.limits.max_headers} header fields.")
            raise HeadRefused
        direct = self._direct
        if direct is not None and self.url.startswith(API_PREFIX_BYTES):
            current = self.cycle
            if current is None or current.response_complete:  # else pipelined: uvicorn queues it
                cycle = direct.start(self)
                if cycle is not None:
                    self.cycle = cycle  # type: ignore[assignment]
                    return
        self._asgi_scope()
        super().on_headers_complete()

    # uvicorn's `on_message_begin` makes the ASGI scope and resets the URL and headers. The direct path needs no
    # scope (`_asgi_scope` makes it when needed) and the reset happens as each message completes: with no method
    # here, httptools makes no call into Python at the start of every request.
    on_message_begin = None  # type: ignore[assignment]

    def on_header(self, name: bytes, value: bytes) -> None:
        # uvicorn's also looks for `Expect: 100-continue` in each; `_asgi_scope` does once, when it matters.
        self.headers.append((name.lower(), value))

    def _asgi_scope(self) -> None:
        """What uvicorn's `on_message_begin` and `on_header` would have set, for the request whose head was just
        read: its ASGI scope and whether it expects `100 Continue`."""
        url, headers = self.url, self.headers
        super().on_message_begin()
        self.url, self.headers = url, headers
        self.scope["headers"] = headers
        self.expect_100_continue = any(
            name == b"expect" and value.lower() == b"100-continue" for name, value in headers
        )

    def on_body(self, body: bytes) -> None:
        cycle = self.cycle
        if isinstance(cycle, ProxyCycle):
            cycle.on_body(body)
        else:
            super().on_body(body)

    def on_message_complete(self) -> None:
        cycle = self.cycle
        if isinstance(cycle, ProxyCycle):
            cycle.on_message_complete()
        else:
            super().on_message_complete()
        self._head_room = self.limits.max_head_bytes
        self.url, self.headers = b"", []  # for the next request (`on_message_begin`)

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        room = self._head_room
        if room is not None and room < self.limits.max_head_bytes:
            self._refuse(408, f"The request head did not arrive within {self.limits.head_timeout_s:g} s.")
        else:
            self.transport.close()  # nothing was sent: nobody to answer

    def _refuse(self, status: int, detail: str) -> None:
        """Answer `status` (problem+json) and close; no second answer and no more parsing on this connection."""
        self._refused = True
        self._head_room = None
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
        if (self.cycle is None or self.cycle.response_complete) and not self.pipeline:
            self.transport.write(_refusal(status, detail))
            self._linger()
            return
        # else an answer is on its way: cutting it short is all that can be done without garbling it
        self.transport.close()

    def _linger(self) -> None:
        """Send the refusal, end our side, and drop what the client still sends for up to `LINGER_S` before
        closing (nginx's lingering close): closing with unread data makes the kernel send a reset, and a client
        still writing its 8 MB head would lose the answer with it."""
        transport = self.transport
        if isinstance(transport, CoalescingTransport):
            transport.flush()
        if not transport.can_write_eof():
            transport.close()
            return
        transport.write_eof()
        self.loop.call_later(LINGER_S, transport.close)


def _refusal(status: int, detail: str) -> bytes:
    title = HTTPStatus(status).phrase
    body = json.dumps(
        {"type": f"{TYPE_BASE}{_PROBLEM_TYPES[status]}", "title": title, "status": status, "detail": detail}
    )
    head = (
        f"HTTP/1.1 {status} {title}\r\ncontent-type: {PROBLEM_JSON}\r\ncontent-length: {len(body)}\r\n"
        "connection: close\r\n\r\n"
    )
    return (head + body).encode()


_PROBLEM_TYPES = {408: "request-timeout", 414: "uri-too-long", 431: "request-head-too-large"}


def gateway_protocol(limits: ConnectionLimits) -> type[GatewayHttpProtocol]:
    """The protocol class to give uvicorn (`http=`): `GatewayHttpProtocol` with `limits`."""

    class ConfiguredGatewayHttpProtocol(GatewayHttpProtocol):
        pass

    ConfiguredGatewayHttpProtocol.limits = limits
    return ConfiguredGatewayHttpProtocol
