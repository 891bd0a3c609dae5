"""Whether a proxied request may go on, and as whom: its route, its caller, the route policy and the rate limit.

Each step is a plain function that answers at once when it can (a routed path, a cached credential, a local
rate-limit bucket) and says so when it cannot (a key to look up in the database, a bucket in Redis): the ASGI
proxy then awaits the slow step, while the direct path (`gateway.proxy_cycle`) leaves such a request to the
ASGI proxy before anything was taken. A refusal is a `Refusal`, answered as problem+json by either path.
"""

from __future__ import annotations

import math
import random
from urllib.parse import quote

from bss.identity import IDENTITY_HEADER, SIGNATURE_HEADER, IdentitySigner
from gateway.auth import Authenticator, AuthError
from gateway.keys import ANONYMOUS_STOREFRONT, Principal
from gateway.policy import allowed, is_public
from gateway.ratelimit import Limiter
from gateway.settings import SERVICE_NAMES
from gateway.upstream import Upstream

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
_SIGNED = _IDENTITY + b": %s\r\n" + _SIGNATURE + b": %s\r\n"
_REQUEST_ID = REQUEST_ID + b": %s\r\n"
_MAX_SIGNED = 10_000
"""Identities kept for the current second, at most (distinct targets beyond it are signed each time)."""
_UNAUTHENTICATED = (b"www-authenticate", b'Bearer realm="bss"')
_INVALID_TOKEN = (b"www-authenticate", b'Bearer realm="bss", error="invalid_token"')


class Incoming:
    """What the proxy needs from the request headers, found in one pass: the credential, the request id, the body's
    framing, and `forward`, the head lines passed on to the service (each `name: value` with its CRLF)."""

    __slots__ = ("chunked", "content_length", "expect", "forward", "request_id", "token")

    def __init__(self, raw: list[tuple[bytes, bytes]]) -> None:
        forward: list[bytes] = []
        self.token: str | None = None
        self.request_id: bytes | None = None
        self.content_length: int | None = None
        self.chunked = False
        self.expect = False
        for key, value in raw:
            if key == b"host":
                continue  # in every request; the service gets its own
            if key not in _DROP_REQUEST and not key.startswith(b"x-bss-identity"):
                forward += (key, b": ", value, b"\r\n")
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
            elif key == b"expect":
                self.expect = True
        self.forward = b"".join(forward)


def new_request_id() -> bytes:
    """128 random bits as hex: unique enough to trace a request; not a secret, so no system call for it."""
    return b"%032x" % _random.getrandbits(128)


_random = random.Random()  # seeded from os.urandom once


class Refusal(Exception):
    """A proxied request answered by the gateway itself, as problem+json (`headers` besides the request id)."""

    def __init__(
        self,
        status: int,
        type_: str,
        title: str,
        detail: str,
        *,
        headers: tuple[tuple[bytes, bytes], ...] = (),
        subject: str = "-",
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.type_ = type_
        self.title = title
        self.detail = detail
        self.headers = headers
        self.subject = subject  # the caller, for the access log, once known


class Route:
    """Where a proxied request goes: the service's pool, the path under its `/v1/`, the target it receives."""

    __slots__ = ("service", "tail", "target", "upstream")

    def __init__(self, upstream: Upstream, service: str, tail: str, target: bytes) -> None:
        self.upstream = upstream
        self.service = service
        self.tail = tail
        self.target = target


class Admission:
    """The steps every proxied request passes, in this order: route, caller, route policy, rate limit."""

    def __init__(
        self,
        *,
        upstreams: dict[str, Upstream],
        authenticator: Authenticator,
        limiter: Limiter,
        identity_secret: bytes,
        anonymous_limit: tuple[float, int],
    ) -> None:
        self.upstreams = upstreams
        # The audience of a service's identities is the name it knows itself by (`support` is `support-sla`).
        self.audiences = {name: SERVICE_NAMES.get(name, name).encode() for name in upstreams}
        self.auth = authenticator
        self.limiter = limiter
        self.signer = IdentitySigner(identity_secret)
        self.anonymous_limit = anonymous_limit
        # (caller claims, service, method, target) -> the identity head lines, for the second `_signed_in`.
        self._signed: dict[tuple[bytes, str, str, bytes], bytes] = {}
        self._signed_in = -1

    def route(self, path: str, raw_path: bytes | None, query: bytes) -> Route:
        """The service and target of `/api/v1/<service>/<rest>`; 404 for no such service, 400 for a path that is
        not normalized."""
        service, _, tail = path[len(API_PREFIX) :].partition("/")
        upstream = self.upstreams.get(service)
        if upstream is None:
            names = ", ".join(sorted(self.upstreams))
            raise Refusal(404, "not-found", "Not found", f"No service '{service}'; the services are {names}.")
        target = _target(raw_path, query, service, tail)
        if target is None:
            detail = "The path has empty, '.' or '..' segments or encoded slashes; send a normalized path."
            raise Refusal(400, "bad-path", "Path not allowed", detail)
        return Route(upstream, service, tail, target)

    def principal_now(self, token: str | None, route: Route, method: str, client: str) -> Principal | None:
        """The caller if known without I/O (anonymous storefront read, cached credential); None when the
        credential must be looked up (`authenticate`); 401 for none where one is needed, or a refused one."""
        if not token:
            if is_public(route.service, method, route.tail):
                rate, burst = self.anonymous_limit
                return Principal(ANONYMOUS_STOREFRONT, f"anon:{client}", rate, burst)
            detail = "Authenticate with an API key (X-API-Key) or a bearer token (Authorization: Bearer ...)."
            raise Refusal(401, "unauthorized", "Unauthorized", detail, headers=(_UNAUTHENTICATED,))
        try:
            return self.auth.cached(token)
        except AuthError as refused:
            raise _auth_refusal(refused) from None

    async def authenticate(self, token: str) -> Principal:
        """The caller behind a credential the cache did not know (a database lookup or a JWT check)."""
        try:
            return await self.auth.authenticate(token)
        except AuthError as refused:
            raise _auth_refusal(refused) from None

    def authorize(self, principal: Principal, route: Route, method: str) -> None:
        """403 unless the route policy lets the caller's role make this call."""
        caller = principal.caller
        if not allowed(caller.role, route.service, method, route.tail):
            detail = f"The {caller.role.value} role may not {method} /api/v1/{route.service}/{route.tail}."
            raise Refusal(403, "forbidden", "Forbidden", detail, subject=caller.subject)

    def rate_now(self, principal: Principal) -> bool:
        """Take a token from the caller's bucket if that can be decided here (True), else False (`rate` must be
        awaited; nothing was taken); 429 with Retry-After when the bucket is empty."""
        retry = self.limiter.take_local(principal.limit_key, principal.rate_per_s, principal.burst)
        if retry is None:
            return False
        if retry > 0:
            _check_retry(retry, principal)
        return True

    async def rate(self, principal: Principal) -> None:
        """`rate_now` for a bucket kept elsewhere (Redis)."""
        _check_retry(await self.limiter.take(principal.limit_key, principal.rate_per_s, principal.burst), principal)

    def sign(self, principal: Principal, route: Route, method: str, request_id: bytes, now: float) -> bytes:
        """The head lines the gateway adds: the signed identity, bound to this request as the service will see it
        (its name, the method, the target after the rewrite, the second it is issued), and the request id.

        The same caller, service, method and target in the same second get the same value and signature (an HMAC
        is deterministic): they are made once and kept for that second, so a busy URL costs one HMAC a second.
        """
        second = int(now)
        if second != self._signed_in:
            self._signed, self._signed_in = {}, second
        key = (principal.claims(), route.service, method, route.target)
        lines = self._signed.get(key)
        if lines is None:
            value, signature = principal.identity_headers(
                self.signer,
                audience=self.audiences[route.service],
                method=method.encode(),
                target=route.upstream.base_path + route.target,
                now=second,
            )
            lines = _SIGNED % (value, signature)
            if len(self._signed) < _MAX_SIGNED:
                self._signed[key] = lines
        return lines + _REQUEST_ID % request_id


def _auth_refusal(refused: AuthError) -> Refusal:
    if refused.status != 401:  # the key store is down: not the caller's fault
        return Refusal(refused.status, "service-unavailable", "Service unavailable", refused.detail)
    return Refusal(401, "unauthorized", "Unauthorized", refused.detail, headers=(_INVALID_TOKEN,))


def _check_retry(retry: float, principal: Principal) -> None:
    if retry > 0:
        wait = str(max(1, math.ceil(retry)))
        raise Refusal(
            429,
            "rate-limited",
            "Too many requests",
            f"Too many requests for this key; retry in {wait} s.",
            headers=((b"retry-after", wait.encode()),),
            subject=principal.caller.subject,
        )


def _target(raw_path: bytes | None, query: bytes, service: str, tail: str) -> bytes | None:
    """The request target on the service (`/v1/<tail>?<query>`), or None for a path that is not normalized."""
    if "." in tail or "//" in tail or tail.startswith("/"):  # else no dot or empty segment: the common case
        check = "/" + tail
        if "/./" in check or "/../" in check or check.endswith(("/.", "/..")) or "//" in check:
            return None
    prefix = _PREFIXES.get(service)
    if prefix is None:
        prefix = _PREFIXES[service] = f"{API_PREFIX}{service}/".encode()
    if raw_path is not None and raw_path.startswith(prefix):
        raw_tail = raw_path[len(prefix) :]
        if b"%" in raw_tail:
            lowered = raw_tail.lower()
            if b"%2f" in lowered or b"%5c" in lowered or b"%2e" in lowered:
                return None
    else:
        raw_tail = quote(tail, safe="/:@!$&'()*+,;=-._~").encode()
    return b"/v1/" + raw_tail + (b"?" + query if query else b"")


_PREFIXES: dict[str, bytes] = {}  # service -> b"/api/v1/<service>/", for the services `Admission.route` knows
