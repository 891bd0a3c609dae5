"""The gateway's HTTP server protocol: uvicorn's httptools protocol, with a response's writes sent together.

uvicorn writes an answer's head on `http.response.start` and its body on `http.response.body`: two `send`
system calls per proxied request, and on loopback each one also runs the receiving side's TCP processing on
the gateway's CPU. `CoalescingTransport` keeps the writes made during one event-loop step and sends them in
one call at the end of the step (`call_soon`); a large write (a streamed body) goes out at once behind what
was kept, so flow control still sees every byte. Everything else passes through to the real transport.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

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


class GatewayHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over a `CoalescingTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(CoalescingTransport(transport, self.loop))  # type: ignore[arg-type]
