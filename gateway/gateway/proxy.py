"""The proxy hot path: a raw ASGI callable, no framework objects, one lean connection pool per service.

`/api/v1/<service>/<rest>` goes to `<service base>/v1/<rest>` with the query string, the body streamed up
and the answer streamed back, status and headers (duplicates such as `set-cookie` included) unchanged.
On the way: request id, authentication (cached), the route policy, the rate limit, the signed identity.
A service that cannot be reached answers 503 problem+json naming it; the other services are unaffected.
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

import structlog

from bss.identity import IDENTITY_HEADER, SIGNATURE_HEADER, IdentitySigner
from gateway.auth import Authenticator, AuthError
from gateway.keys import ANONYMOUS_STOREFRONT, Principal
from gateway.policy import allowed, is_public
from gateway.problems import send_problem
from gateway.ratelimit import Limiter
from gateway.settings import SERVICE_NAMES
from gateway.upstream import Connection, Upstream, UpstreamBroken, UpstreamTimeout, UpstreamUnavailable

log = structlog.get_logger("gateway.proxy")

API_PREFIX = "/api/v1/"
REQUEST_ID = b"x-request-id"
_IDENTITY = IDENTITY_HEADER.encode()
_SIGNATURE = SIGNATURE_HEADER.encode()
# Dropped from requests: one-hop headers (RFC 9110 7.6.1), the client's credentials (services trust only the
# signed identity) and anything the gateway sets itself.
_DROP_REQUEST = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
        b"host",
        b"content-length",
        b"expect",
        b"authorization",
        b"x-api-key",
        REQUEST_ID,
        _IDENTITY,
        _SIGNATURE,
    }
)
_DROP_RESPONSE = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding", b"upgrade"}
)
_RETRYABLE = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
_SMALL_BODY = 256 * 1024
_STREAM_CHUNK = 64 * 1024

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


class Incoming:
    """What the proxy needs from the request headers, found in one pass."""

    __slots__ = ("chunked", "content_length", "forward", "request_id", "token")

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        self.forward: list[tuple[bytes, bytes]] = []
        self.token: str | None = None
        self.request_id: bytes | None = None
        self.content_length: int | None = None
        self.chunked = False
        for key, value in raw:
            if key not in _DROP_REQUEST and not key.startswith(b"x-bss-identity"):
                self.forward.append((key, value))
            elif key == b"x-api-key":
                self.token = value.decode("latin-1").strip()
            elif key == b"authorization":
                scheme, _, credentials = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and self.token is None:
                    self.token = credentials.strip()
            elif key == REQUEST_ID:
                if 0 < len(value) <= 200:
                    self.request_id = value
            elif key == b"content-length":
                self.content_length = int(value) if value.isdigit() else -1
            elif key == b"transfer-encoding":
                self.chunked = True


def new_request_id() -> bytes:
    """128 random bits as hex: unique enough to trace a request; not a secret, so no system call for it."""
    return b"%032x" % _random.getrandbits(128)


_random = random.Random()  # seeded from os.urandom once


class Proxy:
    def __init__(
        self,
        *,
        upstreams: dict[str, Upstream],
        authenticator: Authenticator,
        limiter: Limiter,
        identity_secret: bytes,
        max_body_bytes: int,
        anonymous_limit: tuple[float, int],
        on_done: Callable[[dict[str, Any], int, bytes, float, str], None],
    ) -> None:
        self.upstreams = upstreams
        # The audience of a service's identities is the name it knows itself by (`support` is `support-sla`).
        self.audiences = {name: SERVICE_NAMES.get(name, name).encode() for name in upstreams}
        self.auth = authenticator
        self.limiter = limiter
        self.signer = IdentitySigner(identity_secret)
        self.max_body = max_body_bytes
        self.anonymous_limit = anonymous_limit
        self.on_done = on_done

    async def __call__(self, scope: dict[str, Any], receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        incoming = Incoming(scope["headers"])
        request_id = incoming.request_id or new_request_id()
        subject = "-"
        status = 500
        try:
            status, subject = await self._handle(scope, receive, send, incoming, request_id)
        finally:
            self.on_done(scope, status, request_id, time.perf_counter() - started, subject)

    async def _handle(
        self, scope: dict[str, Any], receive: Receive, send: Send, incoming: Incoming, request_id: bytes
    ) -> tuple[int, str]:
        rid = (REQUEST_ID, request_id)
        path: str = scope["path"]
        service, _, tail = path[len(API_PREFIX) :].partition("/")
        upstream = self.upstreams.get(service)
        if upstream is None:
            names = ", ".join(sorted(self.upstreams))
            detail = f"No service '{service}'; the services are {names}."
            return await send_problem(send, 404, "not-found", "Not found", detail, headers=[rid]), "-"
        target = _target(scope, service, tail)
        if target is None:
            detail = "The path has empty, '.' or '..' segments or encoded slashes; send a normalized path."
            return await send_problem(send, 400, "bad-path", "Path not allowed", detail, headers=[rid]), "-"
        method: str = scope["method"]
        principal = await self._principal(scope, send, incoming, service, method, tail, rid)
        if isinstance(principal, int):
            return principal, "-"
        caller = principal.caller
        if not allowed(caller.role, service, method, tail):
            detail = f"The {caller.role.value} role may not {method} /api/v1/{service}/{tail}."
            status = await send_problem(send, 403, "forbidden", "Forbidden", detail, headers=[rid])
            return status, caller.subject
        retry = self.limiter.take_local(principal.limit_key, principal.rate_per_s, principal.burst)
        if retry is None:
            retry = await self.limiter.take(principal.limit_key, principal.rate_per_s, principal.burst)
        if retry > 0:
            wait = str(max(1, math.ceil(retry))).encode()
            detail = f"Too many requests for this key; retry in {wait.decode()} s."
            headers = [rid, (b"retry-after", wait)]
            return await send_problem(send, 429, "rate-limited", "Too many requests", detail, headers=headers), (
                caller.subject
            )
        # Bound to this request as the service will see it: its name, the method, the target after the rewrite.
        value, signature = principal.identity_headers(
            self.signer,
            audience=self.audiences[service],
            method=method.encode(),
            target=upstream.base_path + target,
            now=time.time(),
        )
        forward = incoming.forward
        forward.append((_IDENTITY, value))
        forward.append((_SIGNATURE, signature))
        forward.append(rid)
        status = await self._forward(scope, receive, send, upstream, target, incoming, rid)
        return status, caller.subject

    async def _principal(
        self,
        scope: dict[str, Any],
        send: Send,
        incoming: Incoming,
        service: str,
        method: str,
        tail: str,
        rid: tuple[bytes, bytes],
    ) -> Principal | int:
        token = incoming.token
        if not token:
            if is_public(service, method, tail):
                client = scope.get("client") or ("-", 0)
                rate, burst = self.anonymous_limit
                return Principal(ANONYMOUS_STOREFRONT, f"anon:{client[0]}", rate, burst)
            detail = "Authenticate with an API key (X-API-Key) or a bearer token (Authorization: Bearer ...)."
            headers = [rid, (b"www-authenticate", b'Bearer realm="bss"')]
            return await send_problem(send, 401, "unauthorized", "Unauthorized", detail, headers=headers)
        try:
            return self.auth.cached(token) or await self.auth.authenticate(token)
        except AuthError as refused:
            if refused.status != 401:  # the key store is down: not the caller's fault
                title, type_, headers = "Service unavailable", "service-unavailable", [rid]
            else:
                title, type_ = "Unauthorized", "unauthorized"
                headers = [rid, (b"www-authenticate", b'Bearer realm="bss", error="invalid_token"')]
            return await send_problem(send, refused.status, type_, title, refused.detail, headers=headers)

    async def _forward(
        self,
        scope: dict[str, Any],
        receive: Receive,
        send: Send,
        upstream: Upstream,
        target: bytes,
        incoming: Incoming,
        rid: tuple[bytes, bytes],
    ) -> int:
        declared = incoming.content_length
        if declared is not None and declared > self.max_body:
            detail = f"The body is {declared} bytes; the limit is {self.max_body}."
            return await send_problem(send, 413, "request-too-large", "Request body too large", detail, headers=[rid])
        method: str = scope["method"]
        try:
            body: bytes | None = None
            if declared is not None and declared <= _SMALL_BODY:
                body = await _read_body(receive, self.max_body)
            elif declared is None and not incoming.chunked:
                body = b""
            head = _head(method, target, upstream, incoming.forward, body, declared)
            connection = await self._exchange(upstream, method, head, body, receive, declared)
        except BodyTooLarge:
            detail = f"The body exceeds the limit of {self.max_body} bytes."
            return await send_problem(send, 413, "request-too-large", "Request body too large", detail, headers=[rid])
        except ClientGone:
            return 499
        except UpstreamTimeout:
            detail = f"The {upstream.name} service did not answer in time."
            return await send_problem(
                send, 504, "upstream-timeout", "Upstream timeout", detail, headers=[rid], service=upstream.name
            )
        except (UpstreamUnavailable, UpstreamBroken) as exc:
            log.warning("upstream unreachable", service=upstream.name, error=str(exc), request_id=rid[1].decode())
            detail = f"The {upstream.name} service is not reachable right now; try again shortly."
            return await send_problem(
                send, 503, "service-unavailable", "Service unavailable", detail, headers=[rid], service=upstream.name
            )
        return await self._respond(send, upstream, connection, rid)

    async def _exchange(
        self, upstream: Upstream, method: str, head: bytes, body: bytes | None, receive: Receive, declared: int | None
    ) -> Connection:
        """Send the request and wait for the answer's headers (retrying once on a stale keep-alive connection)."""
        fresh = False
        while True:
            connection = await upstream.acquire(fresh=fresh)
            connection.head_request = method == "HEAD"
            try:
                if body is not None:
                    connection.write(head + body if len(body) < 65536 else head)
                    if len(body) >= 65536:
                        connection.write(body)
                else:
                    connection.write(head)
                    await _stream_body(receive, connection, declared, self.max_body)
                while not connection.headers_done and connection.error is None:
                    await connection.wait(upstream.timeout_s)
            except BaseException:
                upstream.discard(connection)
                raise
            if connection.headers_done:
                return connection
            error = connection.error
            upstream.discard(connection)
            stale = connection.reused and not connection.got_bytes and not isinstance(error, UpstreamTimeout)
            if stale and body is not None and method in _RETRYABLE and not fresh:
                fresh = True
                continue
            if isinstance(error, UpstreamTimeout | UpstreamBroken):
                raise error
            raise UpstreamUnavailable(str(error) or type(error).__name__)

    async def _respond(self, send: Send, upstream: Upstream, connection: Connection, rid: tuple[bytes, bytes]) -> int:
        status = connection.status
        headers = [(k, v) for k, v in connection.headers if k not in _DROP_RESPONSE and k != REQUEST_ID]
        headers.append(rid)
        try:
            if connection.complete:
                body = b"".join(connection.take())
                if not any(k == b"content-length" for k, _ in headers):
                    headers.append((b"content-length", str(len(body)).encode()))
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body, "more_body": False})
                upstream.release(connection)
                return status
            await send({"type": "http.response.start", "status": status, "headers": headers})
            while True:
                for chunk in connection.take():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
                if connection.complete:
                    break
                if connection.error is not None:
                    raise UpstreamBroken(f"{upstream.name} stopped mid-answer: {connection.error}")
                await connection.wait(upstream.timeout_s)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        except BaseException:
            upstream.discard(connection)
            log.warning("answer cut short", service=upstream.name, request_id=rid[1].decode())
            raise
        upstream.release(connection)
        return status


def _target(scope: dict[str, Any], service: str, tail: str) -> bytes | None:
    """The request target on the service (`/v1/<tail>?<query>`), or None for a path that is not normalized."""
    check = "/" + tail
    if "/./" in check or "/../" in check or check.endswith(("/.", "/..")) or "//" in check:
        return None
    raw: bytes | None = scope.get("raw_path")
    prefix = f"{API_PREFIX}{service}/".encode()
    if raw is not None and raw.startswith(prefix):
        raw_tail = raw[len(prefix) :]
        if b"%" in raw_tail:
            lowered = raw_tail.lower()
            if b"%2f" in lowered or b"%5c" in lowered or b"%2e" in lowered:
                return None
    else:
        raw_tail = quote(tail, safe="/:@!$&'()*+,;=-._~").encode()
    query: bytes = scope.get("query_string", b"")
    return b"/v1/" + raw_tail + (b"?" + query if query else b"")


def _head(
    method: str,
    target: bytes,
    upstream: Upstream,
    headers: list[tuple[bytes, bytes]],
    body: bytes | None,
    declared: int | None,
) -> bytes:
    lines = [method.encode(), b" ", upstream.base_path, target, b" HTTP/1.1\r\nhost: ", upstream.host_header, b"\r\n"]
    for key, value in headers:
        lines += (key, b": ", value, b"\r\n")
    if body is not None:
        if body or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
            lines.append(b"content-length: %d\r\n" % len(body))
    elif declared is not None:
        lines.append(b"content-length: %d\r\n" % declared)
    else:
        lines.append(b"transfer-encoding: chunked\r\n")
    lines.append(b"\r\n")
    return b"".join(lines)


async def _read_body(receive: Receive, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
        if not message.get("more_body", False):
            return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def _stream_body(receive: Receive, connection: Connection, declared: int | None, limit: int) -> None:
    """Client body -> service, as it arrives, waiting whenever the service's socket buffer is full."""
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise ClientGone
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        if chunk:
            connection.write(chunk if declared is not None else b"%x\r\n%s\r\n" % (len(chunk), chunk))
            await connection.drain()
        if connection.closed:
            return  # the service answered early or went away; its answer (or the error) is read next
        if not message.get("more_body", False):
            break
    if declared is None:
        connection.write(b"0\r\n\r\n")
