"""The proxy: a raw ASGI callable, no framework objects, one lean connection pool per service.

`/api/v1/<service>/<rest>` goes to `<service base>/v1/<rest>` with the query string, the body streamed up
and the answer streamed back, status and headers (duplicates such as `set-cookie` included) unchanged.
On the way: request id, authentication (cached), the route policy, the rate limit, the signed identity
(`gateway.admission`). A service that cannot be reached answers 503 problem+json naming it; the other services
are unaffected.

Served by the gateway's own HTTP protocol, most proxied requests never become ASGI calls: `gateway.proxy_cycle`
admits and forwards them from the protocol's callbacks and hands them to `Proxy.exchange` only when they need to
wait for something. This ASGI callable serves the rest (and every proxied request under another ASGI server).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

import structlog

from gateway.admission import REQUEST_ID, Admission, Incoming, Refusal, new_request_id
from gateway.auth import Authenticator
from gateway.problems import problem_answer, send_problem
from gateway.ratelimit import Limiter
from gateway.upstream import Connection, Upstream, UpstreamBroken, UpstreamTimeout, UpstreamUnavailable

log = structlog.get_logger("gateway.proxy")

DROP_RESPONSE = frozenset(
    {b"connection", b"keep-alive", b"proxy-connection", b"te", b"trailer", b"transfer-encoding", b"upgrade"}
)
"""One-hop headers of a service's answer: not passed on (RFC 9110 7.6.1)."""
_RETRYABLE = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
SMALL_BODY = 256 * 1024
"""Bodies up to this size (declared by content-length) are read whole and sent with the head; larger or chunked
ones stream up as they arrive."""
_WRITE_APART = 64 * 1024

Send = Callable[[dict[str, Any]], Awaitable[None]]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Header = tuple[bytes, bytes]
OnDone = Callable[[str, str, str, int, bytes, float, str], None]
"""(method, path, client, status, request id, seconds, caller): called once per proxied request."""


class BodyTooLarge(Exception):
    pass


class ClientGone(Exception):
    pass


Failure = BodyTooLarge | ClientGone | UpstreamTimeout | UpstreamUnavailable | UpstreamBroken


class RequestRef:
    """The request the gateway's own answers are about: its id (`X-Request-ID`, and `request_id` in a problem)
    and its path as the client sent it (a problem's `instance`, as the services' problems have it)."""

    __slots__ = ("header", "path", "request_id")

    def __init__(self, request_id: bytes, path: str) -> None:
        self.request_id = request_id
        self.path = path
        self.header: Header = (REQUEST_ID, request_id)

    def problem(
        self, status: int, type_: str, title: str, detail: str, *, headers: Iterable[Header] = (), **extra: str
    ) -> tuple[list[Header], bytes]:
        """The headers and body of a problem answer about this request."""
        return problem_answer(status, type_, title, detail, headers=(self.header, *headers), **self._names(extra))

    async def send_problem(self, send: Send, status: int, type_: str, title: str, detail: str, **extra: str) -> int:
        """Answer `status` with a problem about this request (ASGI); returns the status."""
        return await send_problem(send, status, type_, title, detail, headers=[self.header], **self._names(extra))

    def _names(self, extra: dict[str, str]) -> dict[str, str]:
        return {**extra, "instance": self.path, "request_id": self.request_id.decode("latin-1")}


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
        on_done: OnDone,
    ) -> None:
        self.upstreams = upstreams
        self.admission = Admission(
            upstreams=upstreams,
            authenticator=authenticator,
            limiter=limiter,
            identity_secret=identity_secret,
            anonymous_limit=anonymous_limit,
        )
        self.signer = self.admission.signer
        self.audiences = self.admission.audiences
        self.max_body = max_body_bytes
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
            client = scope.get("client")
            host = client[0] if client else "-"
            elapsed = time.perf_counter() - started
            self.on_done(scope["method"], scope["path"], host, status, request_id, elapsed, subject)

    async def _handle(
        self, scope: dict[str, Any], receive: Receive, send: Send, incoming: Incoming, request_id: bytes
    ) -> tuple[int, str]:
        ref = RequestRef(request_id, scope["path"])
        method: str = scope["method"]
        admission = self.admission
        try:
            route = admission.route(scope["path"], scope.get("raw_path"), scope.get("query_string", b""))
            client = scope.get("client")
            principal = admission.principal_now(incoming.token, route, method, client[0] if client else "-")
            if principal is None:
                principal = await admission.authenticate(incoming.token or "")
            admission.authorize(principal, route, method)
            if not admission.rate_now(principal):
                await admission.rate(principal)
        except Refusal as refusal:
            headers, body = ref.problem(
                refusal.status, refusal.type_, refusal.title, refusal.detail, headers=refusal.headers
            )
            await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})
            return refusal.status, refusal.subject
        added = admission.sign(principal, route, method, request_id, time.time())
        status = await self._forward(method, receive, send, route.upstream, route.target, incoming, added, ref)
        return status, principal.caller.subject

    async def _forward(
        self,
        method: str,
        receive: Receive,
        send: Send,
        upstream: Upstream,
        target: bytes,
        incoming: Incoming,
        added: bytes,
        ref: RequestRef,
    ) -> int:
        declared = incoming.content_length
        if declared is not None and declared > self.max_body:
            detail = f"The body is {declared} bytes; the limit is {self.max_body}."
            return await ref.send_problem(send, 413, "request-too-large", "Request body too large", detail)
        body: bytes | None = None
        try:
            if declared is not None and declared <= SMALL_BODY:
                body = await _read_body(receive, self.max_body)
            elif declared is None and not incoming.chunked:
                body = b""
        except (BodyTooLarge, ClientGone) as failure:
            return await self.failed(send, failure, upstream, ref)
        head = request_head(method, target, upstream, incoming.forward, added, body, declared)
        return await self.exchange(send, receive, upstream, method, head, body, declared, ref)

    async def exchange(
        self,
        send: Send,
        receive: Receive,
        upstream: Upstream,
        method: str,
        head: bytes,
        body: bytes | None,
        declared: int | None,
        ref: RequestRef,
        sent: Connection | None = None,
    ) -> int:
        """Send the request (`sent`: a connection that already carries it) and pass the answer on; problem+json
        when the service cannot be reached, does not answer in time or breaks off before its headers."""
        try:
            connection = await self._exchange(upstream, method, head, body, receive, declared, sent)
        except (BodyTooLarge, ClientGone, UpstreamTimeout, UpstreamUnavailable, UpstreamBroken) as failure:
            return await self.failed(send, failure, upstream, ref)
        return await self._respond(send, upstream, connection, ref.header)

    async def failed(self, send: Send, failure: Failure, upstream: Upstream, ref: RequestRef) -> int:
        """The answer to a request that could not be passed on (499: the client left; nothing is sent)."""
        if isinstance(failure, BodyTooLarge):
            detail = f"The body exceeds the limit of {self.max_body} bytes."
            return await ref.send_problem(send, 413, "request-too-large", "Request body too large", detail)
        if isinstance(failure, ClientGone):
            return 499
        if isinstance(failure, UpstreamTimeout):
            detail = f"The {upstream.name} service did not answer in time."
            return await ref.send_problem(
                send, 504, "upstream-timeout", "Upstream timeout", detail, service=upstream.name
            )
        log.warning(
            "upstream unreachable", service=upstream.name, error=str(failure), request_id=ref.request_id.decode()
        )
        detail = f"The {upstream.name} service is not reachable right now; try again shortly."
        return await ref.send_problem(
            send, 503, "service-unavailable", "Service unavailable", detail, service=upstream.name
        )

    async def _exchange(
        self,
        upstream: Upstream,
        method: str,
        head: bytes,
        body: bytes | None,
        receive: Receive,
        declared: int | None,
        sent: Connection | None,
    ) -> Connection:
        """Send the request and wait for the answer's headers (retrying once on a stale keep-alive connection)."""
        fresh = False
        connection = sent
        while True:
            if connection is None:
                connection = await upstream.acquire(fresh=fresh)
                try:
                    if body is not None:
                        write_request(connection, method, head, body)
                    else:
                        write_request(connection, method, head, b"")
                        await _stream_body(receive, connection, declared, self.max_body)
                except BaseException:
                    upstream.discard(connection)
                    raise
            try:
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
                connection = None
                continue
            if isinstance(error, UpstreamTimeout | UpstreamBroken):
                raise error
            raise UpstreamUnavailable(str(error) or type(error).__name__)

    async def _respond(self, send: Send, upstream: Upstream, connection: Connection, rid: Header) -> int:
        status = connection.status
        try:
            if connection.complete:
                body = b"".join(connection.take())
                headers = response_headers(connection, rid, body)
                await send({"type": "http.response.start", "status": status, "headers": headers})
                await send({"type": "http.response.body", "body": body, "more_body": False})
                upstream.release(connection)
                return status
            headers = response_headers(connection, rid, None)
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


def response_headers(connection: Connection, rid: Header, whole_body: bytes | None) -> list[Header]:
    """The service's answer headers as the client gets them: one-hop headers and its request id dropped, ours
    added; a length for an answer read whole (`whole_body`) that came without one."""
    headers = [(k, v) for k, v in connection.headers if k not in DROP_RESPONSE and k != REQUEST_ID]
    headers.append(rid)
    if whole_body is not None and not any(k == b"content-length" for k, _ in headers):
        headers.append((b"content-length", b"%d" % len(whole_body)))
    return headers


def request_head(
    method: str,
    target: bytes,
    upstream: Upstream,
    forward: bytes,
    added: bytes,
    body: bytes | None,
    declared: int | None,
) -> bytes:
    """The request line and headers for the service: the client's head lines to `forward`, the gateway's `added`
    ones, the framing (`body` None: the body streams, with its declared length or chunked)."""
    if body is not None:
        if body or method not in ("GET", "HEAD", "DELETE", "OPTIONS"):
            framing = b"content-length: %d\r\n\r\n" % len(body)
        else:
            framing = b"\r\n"
    elif declared is not None:
        framing = b"content-length: %d\r\n\r\n" % declared
    else:
        framing = b"transfer-encoding: chunked\r\n\r\n"
    return b"".join((method.encode(), b" ", upstream.base_path, target, upstream.host_line, forward, added, framing))


def write_request(connection: Connection, method: str, head: bytes, body: bytes) -> None:
    """Write a request whose body is known whole (small ones in one write with the head)."""
    connection.head_request = method == "HEAD"
    if len(body) < _WRITE_APART:
        connection.write(head + body)
    else:
        connection.write(head)
        connection.write(body)


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
