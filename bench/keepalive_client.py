"""A lean HTTP/1.1 keep-alive client for benchmarks that time a server's read, not a client library's.

httpx spends about a millisecond of Python per request in this process (URL and header models, the h11 state
machine, the auth flow, gzip decoding), on the same event loop as the server it measures. This client writes a
ready request line and the signed identity headers, and reads the answer with httptools (uvicorn's parser): its
status, headers and body bytes as sent, neither decoded nor parsed. One request at a time per connection.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import httptools

from bss.identity import Caller, encode_caller, request_identity_headers
from bss.settings import DEV_IDENTITY_SECRET


@dataclass
class Answer:
    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


class _Protocol(asyncio.Protocol):
    def __init__(self) -> None:
        self.parser = httptools.HttpResponseParser(self)
        self.transport: asyncio.Transport | None = None
        self.answer = Answer()
        self.chunks: list[bytes] = []
        self.done: asyncio.Future[Answer] | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        self.parser.feed_data(data)

    def connection_lost(self, exc: Exception | None) -> None:
        if self.done is not None and not self.done.done():
            self.done.set_exception(exc or ConnectionError("the server closed the connection"))

    def on_header(self, name: bytes, value: bytes) -> None:
        self.answer.headers[name.decode("latin-1").lower()] = value.decode("latin-1")

    def on_body(self, body: bytes) -> None:
        self.chunks.append(body)

    def on_message_complete(self) -> None:
        self.answer.status = self.parser.get_status_code()
        self.answer.body = b"".join(self.chunks)
        if self.done is not None and not self.done.done():
            self.done.set_result(self.answer)


class KeepAliveClient:
    """One keep-alive connection to `host:port`, sending GETs signed for `caller` and service `audience`."""

    def __init__(self, host: str, port: int, caller: Caller, audience: str, secret: str = DEV_IDENTITY_SECRET):
        self.host, self.port = host, port
        self.claims = encode_caller(caller)
        self.audience = audience
        self.secret = secret.encode()
        self.protocol: _Protocol | None = None

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Answer:
        if self.protocol is None or self.protocol.transport is None or self.protocol.transport.is_closing():
            _, self.protocol = await asyncio.get_running_loop().create_connection(_Protocol, self.host, self.port)
        protocol = self.protocol
        protocol.answer, protocol.chunks = Answer(), []
        protocol.done = asyncio.get_running_loop().create_future()
        signed = request_identity_headers(
            self.claims, self.secret, audience=self.audience, method="GET", target=path.encode()
        )
        lines = [f"GET {path} HTTP/1.1", f"host: {self.host}:{self.port}"]
        lines += [f"{name}: {value}" for name, value in {**signed, **(headers or {})}.items()]
        assert protocol.transport is not None
        protocol.transport.write(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        return await protocol.done

    def close(self) -> None:
        if self.protocol is not None and self.protocol.transport is not None:
            self.protocol.transport.close()
