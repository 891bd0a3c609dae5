"""Two parts of every proxied request: the identity the gateway signs for it (made once a second per caller,
service, method and target) and the access log with its metrics (tallied in batches, as Prometheus would)."""

from __future__ import annotations

import asyncio
import io
import json
import re
from typing import Any, cast

import pytest
from prometheus_client import CollectorRegistry, Histogram

from bss.identity import Caller, InvalidIdentity, Role, decode_identity
from gateway.access_log import AccessLog
from gateway.admission import Admission, Route
from gateway.auth import Authenticator
from gateway.keys import Principal
from gateway.ratelimit import LocalLimiter
from gateway.settings import SERVICE_NAMES
from gateway.upstream import Upstream

SECRET = b"s" * 40


def admission() -> Admission:
    upstreams = {
        "catalog": Upstream("catalog", "http://127.0.0.1:9/base", connections=1, timeout_s=1),
        "support": Upstream("support", "http://127.0.0.1:9", connections=1, timeout_s=1),
    }
    return Admission(
        upstreams=upstreams,
        authenticator=cast(Authenticator, None),
        limiter=LocalLimiter(),
        identity_secret=SECRET,
        anonymous_limit=(1.0, 1),
    )


def identity(lines: bytes) -> tuple[str, str, str]:
    """The identity value, its signature and the request id of the head lines `Admission.sign` adds."""
    assert lines.endswith(b"\r\n")
    found = dict(line.decode().split(": ", 1) for line in lines[:-2].split(b"\r\n"))
    assert set(found) == {"x-bss-identity", "x-bss-identity-signature", "x-request-id"}
    return found["x-bss-identity"], found["x-bss-identity-signature"], found["x-request-id"]


def route(gate: Admission, path: str, query: bytes = b"") -> Route:
    return gate.route(path, path.encode(), query)


ADMIN = Principal(Caller(Role.ADMIN, "key:a"), "key:a", 10.0, 10)
RESELLER = Principal(Caller(Role.RESELLER, "key:r", tenant_id="r-1"), "key:r", 10.0, 10)


def test_an_identity_is_made_for_the_service_method_and_target_the_service_receives() -> None:
    gate = admission()
    value, signature, request_id = identity(
        gate.sign(ADMIN, route(gate, "/api/v1/catalog/a", b"q=1"), "GET", b"r1", 1000.4)
    )
    caller = decode_identity(
        value, signature, SECRET, audience="catalog", method="GET", target=b"/base/v1/a?q=1", now=1000.5
    )
    assert (caller, request_id) == (ADMIN.caller, "r1")
    with pytest.raises(InvalidIdentity):
        decode_identity(
            value, signature, SECRET, audience="catalog", method="POST", target=b"/base/v1/a?q=1", now=1000.5
        )


def test_within_a_second_the_same_request_gets_the_same_identity_and_its_own_request_id() -> None:
    gate = admission()
    target = route(gate, "/api/v1/catalog/a")
    first = identity(gate.sign(ADMIN, target, "GET", b"r1", 1000.1))
    again = identity(gate.sign(ADMIN, target, "GET", b"r2", 1000.9))
    assert (again[0], again[1]) == (first[0], first[1])  # an HMAC is deterministic: signed once, kept
    assert (first[2], again[2]) == ("r1", "r2")


@pytest.mark.parametrize(
    ("principal", "path", "method", "now"),
    [
        (ADMIN, "/api/v1/catalog/a", "GET", 1001.0),  # the next second
        (ADMIN, "/api/v1/catalog/b", "GET", 1000.5),  # another target
        (ADMIN, "/api/v1/catalog/a", "DELETE", 1000.5),  # another method
        (ADMIN, "/api/v1/support/a", "GET", 1000.5),  # another service
        (RESELLER, "/api/v1/catalog/a", "GET", 1000.5),  # another caller
    ],
)
def test_an_identity_is_never_reused_for_another_second_target_method_service_or_caller(
    principal: Principal, path: str, method: str, now: float
) -> None:
    gate = admission()
    first = identity(gate.sign(ADMIN, route(gate, "/api/v1/catalog/a"), "GET", b"r", 1000.2))
    other = identity(gate.sign(principal, route(gate, path), method, b"r", now))
    assert other[0] != first[0]
    service = path.split("/")[3]
    target = (b"/base" if service == "catalog" else b"") + b"/v1/" + path.split("/", 4)[4].encode()
    audience = SERVICE_NAMES[service]  # support knows itself as support-sla
    caller = decode_identity(other[0], other[1], SECRET, audience=audience, method=method, target=target, now=now)
    assert caller == principal.caller


def run(coroutine: Any) -> Any:
    return asyncio.run(coroutine)


def test_the_metrics_tallied_at_a_flush_are_what_observing_each_request_would_give() -> None:
    elapsed = [0.0005, 0.001, 0.0010001, 0.003, 0.005, 0.3, 2.0, 5.0, 7.0, 0.001, 0.0]

    async def log_requests() -> tuple[list[float], float, list[float]]:
        log = AccessLog(enabled=False)
        histogram = log._latency
        before = [bucket.get() for bucket in histogram._buckets]
        total_before = histogram._sum.get()
        for seconds in elapsed:
            log.record("GET", "/api/v1/catalog/x", "127.0.0.1", 200, b"r", seconds, "key:a")
        log.flush()
        counted = [bucket.get() - start for bucket, start in zip(histogram._buckets, before, strict=True)]
        return counted, histogram._sum.get() - total_before, list(log._bounds)

    counted, total, bounds = run(log_requests())
    reference = Histogram("reference", "each request observed", buckets=bounds[:-1], registry=CollectorRegistry())
    for seconds in elapsed:
        reference.observe(seconds)
    assert counted == [bucket.get() for bucket in reference._buckets]
    assert total == pytest.approx(sum(elapsed))


def test_log_lines_are_json_whatever_the_client_sent() -> None:
    odd = [
        ("/api/v1/catalog/plain", "r-1", "key:a"),
        ('/api/v1/catalog/quote"and\\slash', 'id"1', "sub\\ject"),
        ("/api/v1/catalog/caf\u00e9", "r\u00e9", "\u00e9l\u00e8ve"),
        ("/api/v1/catalog/ctl\x01", "r\x7f", "tab\there"),
    ]

    async def log_requests() -> str:
        out = io.StringIO()
        log = AccessLog(enabled=True, stream=out)
        for status, (path, request_id, subject) in enumerate(odd, start=200):
            log.record("POST", path, "10.0.0.1", status, request_id.encode("latin-1"), 0.01234, subject)
        log.flush()
        return out.getvalue()

    lines = [json.loads(line) for line in run(log_requests()).splitlines()]
    assert [(line["path"], line["request_id"], line["caller"], line["status"]) for line in lines] == [
        (path, request_id, subject, status) for status, (path, request_id, subject) in enumerate(odd, start=200)
    ]
    assert {(line["event"], line["method"], line["client"], line["duration_ms"]) for line in lines} == {
        ("access", "POST", "10.0.0.1", 12.34)
    }
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", line["timestamp"]) for line in lines)
