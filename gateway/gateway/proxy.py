"""The proxy hot path: a raw ASGI callable, one pooled aiohttp client per service, no framework objects.

`/api/v1/<service>/<rest>` goes to `<service base>/v1/<rest>` with the query string, the body streamed
up and the answer streamed back, status and headers (duplicates such as `set-cookie` included) unchanged.
A service that cannot be reached answers 503 problem+json naming it; the other services are unaffected.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterable

import aiohttp
import structlog
from starlette.types import Receive, Scope, Send

log = structlog.get_logger("gateway.proxy")

# Connection-level headers are for one hop only (RFC 9110 7.6.1); host is set by the client for the upstream.
_HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
        b"content-length",
    }
)
_SMALL_BODY = 256 * 1024


class BodyTooLarge(Exception):
    pass


class Upstream:
    """One service behind the gateway, with its own keep-alive connection pool."""

    def __init__(self, name: str, base_url: str, *, connections: int, timeout_s: float) -> None:
        self.name = name
        self.base_url = base_url.rstrip("/")
        self._connections = connections
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=5, sock_read=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(limit=self._connections, keepalive_timeout=60, ttl_dns_cache=300)
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                auto_decompress=False,
                skip_auto_headers=("User-Agent", "Accept-Encoding", "Accept", "Content-Type"),
                cookie_jar=aiohttp.DummyCookieJar(),
            )
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def forward_headers(
    raw: Iterable[tuple[bytes, bytes]], extra: Iterable[tuple[bytes, bytes]] = ()
) -> list[tuple[str, str]]:
    """The request headers to send upstream: hop-by-hop ones dropped, `extra` appended."""
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in raw if k.lower() not in _HOP_BY_HOP]
    headers.extend((k.decode("latin-1"), v.decode("latin-1")) for k, v in extra)
    return headers


async def read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


async def stream_body(receive: Receive, limit: int) -> AsyncIterator[bytes]:
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        if chunk:
            yield chunk
        if not message.get("more_body", False):
            return


async def proxy(
    scope: Scope,
    receive: Receive,
    send: Send,
    *,
    upstream: Upstream,
    path: str,
    extra_headers: Iterable[tuple[bytes, bytes]] = (),
    max_body_bytes: int,
) -> int:
    """Forward one request; returns the status sent to the client."""
    query = scope.get("query_string", b"")
    url = f"{upstream.base_url}{path}" + (f"?{query.decode('latin-1')}" if query else "")
    headers = forward_headers(scope["headers"], extra_headers)
    declared = _content_length(scope["headers"])
    if declared is not None and declared > max_body_bytes:
        return await send_problem(
            send,
            413,
            "request-too-large",
            "Request body too large",
            f"The body is {declared} bytes; the limit is {max_body_bytes}.",
        )
    data: bytes | AsyncIterator[bytes]
    try:
        if declared is not None and declared <= _SMALL_BODY:
            data = await read_body(receive, max_body_bytes)
        elif scope["method"] in ("GET", "HEAD", "DELETE", "OPTIONS") and declared is None:
            data = b""
        else:
            data = stream_body(receive, max_body_bytes)
        async with upstream.session.request(
            scope["method"], url, headers=headers, data=data, allow_redirects=False
        ) as response:
            raw_headers = [(k.lower(), v) for k, v in response.raw_headers if k.lower() not in _HOP_BY_HOP]
            body_known = response.headers.get("Content-Length")
            if body_known is not None:
                raw_headers.append((b"content-length", body_known.encode("latin-1")))
            await send({"type": "http.response.start", "status": response.status, "headers": raw_headers})
            async for chunk in response.content.iter_chunked(64 * 1024):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            return response.status
    except BodyTooLarge:
        return await send_problem(
            send,
            413,
            "request-too-large",
            "Request body too large",
            f"The body exceeds the limit of {max_body_bytes} bytes.",
        )
    except (aiohttp.ClientConnectorError, aiohttp.ServerDisconnectedError, ConnectionError) as exc:
        log.warning("upstream unreachable", service=upstream.name, error=str(exc))
        return await send_problem(
            send,
            503,
            "service-unavailable",
            "Service unavailable",
            f"The {upstream.name} service is not reachable right now; try again shortly.",
            service=upstream.name,
        )
    except (TimeoutError, aiohttp.ServerTimeoutError):
        return await send_problem(
            send,
            504,
            "upstream-timeout",
            "Upstream timeout",
            f"The {upstream.name} service did not answer in time.",
            service=upstream.name,
        )


def _content_length(headers: Iterable[tuple[bytes, bytes]]) -> int | None:
    for key, value in headers:
        if key == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def send_problem(send: Send, status: int, type_: str, title: str, detail: str, **extra: str) -> int:
    body = json.dumps(
        {"type": f"https://bss.example/problems/{type_}", "title": title, "status": status, "detail": detail, **extra}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", b"application/problem+json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body, "more_body": False})
    return status
