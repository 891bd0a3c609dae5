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
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any, ClassVar

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from bss.problems import PROBLEM_JSON, TYPE_BASE

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

    def flush(self) -> None:
        kept, self._kept = self._kept, None
        if kept and not self._transport.is_closing():
            self._transport.write(kept[0] if len(kept) == 1 else b"".join(kept))

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


@dataclass(frozen=True, slots=True)
class ConnectionLimits:
    """What one client connection may send, and how slowly (`GatewaySettings` documents each)."""

    max_head_bytes: int = 16 * 1024
    max_headers: int = 100
    max_url_bytes: int = 8 * 1024
    head_timeout_s: float = 10.0
    idle_timeout_s: float = 5.0


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

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
        self._head_timer = self.loop.call_later(self.limits.head_timeout_s, self._head_timed_out)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None
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
        self._receive(data)
        room = self._head_room
        if self._head_timer is None and room is not None and room < self.limits.max_head_bytes:
            # Part of a head (or blank lines before one) came, not all of it: the rest has head_timeout_s.
            self._head_timer = self.loop.call_later(self.limits.head_timeout_s, self._head_timed_out)

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
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if not self._refused:
                msg = "Invalid HTTP request received."
                self.logger.warning(msg)
                self.send_400_response(msg)
        except httptools.HttpParserUpgrade:
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
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._head_room = self.limits.max_head_bytes

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
