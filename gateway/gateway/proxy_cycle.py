"""Proxied requests served straight from the gateway's HTTP protocol: no ASGI scope, messages or task while none
is needed.

`GatewayHttpProtocol` offers every request for `/api/v1/...` to `DirectProxy.start` once its head is parsed. One
that can be admitted without waiting (`gateway.admission`: a cached credential or an anonymous storefront read,
a local rate-limit bucket) and whose body, if any, has a content-length of at most `SMALL_BODY` becomes a
`ProxyCycle`: refused at once with problem+json, or, once its body is in, forwarded on an idle pooled connection.
An answer that arrives whole in one read goes to the client in one write, from the upstream connection's
callback. Everything else takes the general path, and shares its code:

- before anything is taken (a credential to look up, Redis rate limits, a chunked or large body,
  `Expect: 100-continue`, an upgrade, a request pipelined behind another), the request is left to uvicorn and
  the ASGI `Proxy`;
- once forwarded (no idle connection, an answer that streams or comes in several reads, a service that fails,
  times out or closed a stale connection), the cycle hands its connection to `Proxy.exchange` in a task and
  answers through its own `send`, which writes HTTP/1.1 as uvicorn's does.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote

import httptools
import structlog
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from gateway.admission import API_PREFIX, Incoming, Refusal, new_request_id
from gateway.answer_heads import SERVER_ERROR, InvalidHeader, head_bytes, whole_answer
from gateway.proxy import SMALL_BODY, Header, Proxy, RequestRef, request_head, write_request
from gateway.upstream import Connection, Upstream

if TYPE_CHECKING:
    from gateway.server import GatewayHttpProtocol

log = structlog.get_logger("gateway.proxy")

API_PREFIX_BYTES = API_PREFIX.encode()


class DirectProxy:
    """Starts `ProxyCycle`s for one gateway app; `trusted` are the proxies whose X-Forwarded-For names the client
    (uvicorn's `ProxyHeadersMiddleware` around the app, with `GATEWAY_FORWARDED_ALLOW_IPS`)."""

    def __init__(self, proxy: Proxy, trusted: Any = None) -> None:
        self.proxy = proxy
        self.trusted = trusted
        self.max_body = min(SMALL_BODY, proxy.max_body)  # read whole, then forwarded with the head
        self.admission = proxy.admission

    @classmethod
    def of(cls, app: Any) -> DirectProxy | None:
        """The direct path for uvicorn's loaded app, if it is the gateway (None for anything else)."""
        trusted = None
        if isinstance(app, ProxyHeadersMiddleware):
            trusted, app = app.trusted_hosts, app.app
        proxy = getattr(app, "proxy", None)
        return cls(proxy, trusted) if isinstance(proxy, Proxy) else None

    def start(self, protocol: GatewayHttpProtocol) -> ProxyCycle | None:
        """A cycle for the request whose head `protocol` just parsed, or None to leave it to the ASGI proxy."""
        parser = protocol.parser
        if parser.should_upgrade() or protocol.flow.write_paused:
            return None  # (write_paused: the client does not read its answers; uvicorn's cycle waits for it)
        incoming = Incoming(protocol.headers)
        declared = incoming.content_length
        if incoming.chunked or incoming.expect or (declared is not None and not 0 <= declared <= self.max_body):
            return None
        url: bytes = protocol.url
        if b"#" in url:
            parsed = httptools.parse_url(url)  # as uvicorn parses it: no fragment in the path or the query
            raw_path, query = parsed.path, parsed.query or b""
        else:
            raw_path, _, query = url.partition(b"?")
        path = raw_path.decode("ascii")
        if "%" in path:
            path = unquote(path)
        method = parser.get_method().decode("ascii")
        keep_alive = parser.get_http_version() != "1.0" and parser.should_keep_alive()
        request_id = incoming.request_id or new_request_id()
        client = protocol.client
        host = client[0] if client else "-"
        if self.trusted is not None:
            host = self._forwarded_client(protocol, host)
        admission = self.admission
        try:
            route = admission.route(path, raw_path, query)
            principal = admission.principal_now(incoming.token, route, method, host)
            if principal is None:
                return None  # a credential to look up: nothing was taken yet
            admission.authorize(principal, route, method)
            if not admission.rate_now(principal):
                return None  # a bucket elsewhere: nothing was taken
        except Refusal as refusal:
            cycle = ProxyCycle(protocol, self.proxy, method, path, host, request_id, keep_alive, refusal.subject)
            cycle.refuse(refusal)
            return cycle
        cycle = ProxyCycle(protocol, self.proxy, method, path, host, request_id, keep_alive, principal.caller.subject)
        upstream = cycle.upstream = route.upstream
        added = admission.sign(principal, route, method, request_id, time.time())
        # The head as the ASGI proxy makes it once it has read the body: the length is the declared one.
        cycle.head = request_head(
            method, route.target, upstream, incoming.forward, added, None if declared else b"", declared
        )
        return cycle

    def _forwarded_client(self, protocol: GatewayHttpProtocol, host: str) -> str:
        """The client as uvicorn's `ProxyHeadersMiddleware` names it: X-Forwarded-For from a trusted proxy."""
        if host in self.trusted:
            forwarded = [value for name, value in protocol.headers if name == b"x-forwarded-for"]
            if forwarded:
                named, _ = self.trusted.get_trusted_client_address(b", ".join(forwarded).decode("latin-1"))
                return str(named or host)
        return host


async def _no_more_body() -> dict[str, Any]:
    return {"type": "http.disconnect"}  # never called: a cycle's body is whole before it is forwarded


class ProxyCycle:
    """One proxied request on one client connection; stands where uvicorn keeps its `RequestResponseCycle`
    (the protocol reads `response_complete` and sets `keep_alive` on shutdown)."""

    __slots__ = (
        "_chunked",
        "_started",
        "body",
        "client",
        "connection",
        "disconnected",
        "head",
        "keep_alive",
        "method",
        "path",
        "protocol",
        "proxy",
        "request_id",
        "response_complete",
        "response_started",
        "subject",
        "upstream",
    )

    def __init__(
        self,
        protocol: GatewayHttpProtocol,
        proxy: Proxy,
        method: str,
        path: str,
        client: str,
        request_id: bytes,
        keep_alive: bool,
        subject: str,
    ) -> None:
        self._started = time.perf_counter()
        self.protocol = protocol
        self.proxy = proxy
        self.method = method
        self.path = path
        self.client = client
        self.request_id = request_id
        self.keep_alive = keep_alive
        self.subject = subject  # the caller, for the access log
        self.response_started = False
        self.response_complete = False
        self.disconnected = False
        self.upstream: Upstream | None = None  # None: refused, nothing to forward
        self.head = b""  # the request's, for the service
        self.body: list[bytes] = []
        self.connection: Connection | None = None
        self._chunked = False

    # ---- from DirectProxy.start and the protocol
    def refuse(self, refusal: Refusal) -> None:
        """Answer at once; the rest of the request (a body) is read and dropped by the protocol."""
        ref = RequestRef(self.request_id, self.path)
        headers, body = ref.problem(
            refusal.status, refusal.type_, refusal.title, refusal.detail, headers=refusal.headers
        )
        self._answer(refusal.status, headers, body)

    def on_body(self, data: bytes) -> None:
        if self.upstream is not None:
            self.body.append(data)

    def on_message_complete(self) -> None:
        upstream = self.upstream
        if upstream is None or self.response_complete:
            return
        body = b"".join(self.body) if len(self.body) != 1 else self.body[0]
        self.body = [body]
        connection = upstream.acquire_idle()
        if connection is None:
            self._hand_over(None)  # the pool must open a connection, or wait for one
            return
        self.connection = connection
        connection.listener = self._on_upstream
        write_request(connection, self.method, self.head, body)
        connection.watch(upstream.timeout_s)  # a timeout is reported as the general path reports it: 504

    def connection_lost(self) -> None:
        if not self.response_complete:
            self.disconnected = True

    # ---- from the upstream connection
    def _on_upstream(self) -> None:
        connection = self.connection
        if connection is None or not (connection.headers_done or connection.error is not None):
            return  # part of a head: wait for the rest
        connection.listener = connection.deadline = self.connection = None
        if not connection.complete:
            self._hand_over(connection)  # an answer to stream, or an error to retry or report
            return
        status = connection.status
        if not self.disconnected:
            transport: Any = self.protocol.transport  # the protocol's CoalescingTransport
            if not transport.is_closing():
                default = self.protocol.server_state.default_headers
                answer = whole_answer(
                    connection, self.request_id, method=self.method, keep_alive=self.keep_alive, default=default
                )
                transport.write_now(answer)
            self._complete()
        self.upstream.release(connection)  # type: ignore[union-attr]  # set: it was forwarded
        self._record(status)

    # ---- the general path, in a task
    def _hand_over(self, sent: Connection | None) -> None:
        protocol = self.protocol
        task = protocol.loop.create_task(self._exchange(sent))
        protocol.tasks.add(task)
        task.add_done_callback(protocol.tasks.discard)

    async def _exchange(self, sent: Connection | None) -> None:
        assert self.upstream is not None
        status = 500
        try:
            status = await self.proxy.exchange(
                self.send,
                _no_more_body,
                self.upstream,
                self.method,
                self.head,
                self.body[0],
                None,
                RequestRef(self.request_id, self.path),
                sent,
            )
        except Exception as exc:  # what uvicorn does with an exception of an ASGI application
            log.error("proxied request failed", error=repr(exc), request_id=self.request_id.decode("latin-1"))
            if not self.response_started:
                self._write(SERVER_ERROR)
                self.keep_alive = False
                self._complete()
            else:
                self.protocol.transport.close()
            self._record(500)
            return
        self._record(status)

    async def send(self, message: dict[str, Any]) -> None:
        """ASGI `send` for `Proxy.exchange`: HTTP/1.1 to the client as uvicorn writes it, with flow control; the
        writes of one event-loop step leave together (`CoalescingTransport`)."""
        flow = self.protocol.flow
        if flow.write_paused and not self.disconnected:
            await flow.drain()
        if self.disconnected:
            return
        if message["type"] == "http.response.start":
            self.response_started = True
            self._write(self._head_bytes(message["status"], message["headers"]), at_once=False)
            return
        body: bytes = message.get("body", b"")
        more: bool = message.get("more_body", False)
        if self._chunked:
            data = b"%x\r\n%s\r\n" % (len(body), body) if body else b""
            if not more:
                data += b"0\r\n\r\n"
        else:
            data = body if self.method != "HEAD" else b""
        if data:
            self._write(data, at_once=False)
        if not more:
            self._complete()

    # ---- writing the answer
    def _answer(self, status: int, headers: list[Header], body: bytes) -> None:
        """A whole answer in one write, then the access log."""
        if not self.disconnected:
            try:
                head = self._head_bytes(status, headers)
            except InvalidHeader as exc:
                log.error("invalid answer header", error=str(exc), request_id=self.request_id.decode("latin-1"))
                head, body, status, self.keep_alive = SERVER_ERROR, b"", 500, False
            self._write(head + body if self.method != "HEAD" else head)
            self._complete()
        self._record(status)

    def _head_bytes(self, status: int, headers: list[Header]) -> bytes:
        head, self._chunked = head_bytes(
            status,
            headers,
            method=self.method,
            keep_alive=self.keep_alive,
            default=self.protocol.server_state.default_headers,
        )
        return head

    def _write(self, data: bytes, *, at_once: bool = True) -> None:
        transport: Any = self.protocol.transport  # the protocol's CoalescingTransport
        if not transport.is_closing():
            if at_once:
                transport.write_now(data)
            else:
                transport.write(data)

    def _complete(self) -> None:
        self.response_complete = True
        if not self.keep_alive:
            self.protocol.transport.close()
        self.protocol.on_response_complete()

    def _record(self, status: int) -> None:
        elapsed = time.perf_counter() - self._started
        self.proxy.on_done(self.method, self.path, self.client, status, self.request_id, elapsed, self.subject)
