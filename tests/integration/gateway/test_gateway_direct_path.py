"""The direct path (`gateway.proxy_cycle`) through real sockets: which requests it serves, keep-alive reuse of the
service's connections, a stale connection, a service that is slow, cut short or streaming, clients that pipeline,
leave early or speak HTTP/1.0, and the problems, log lines and metrics it leaves."""

from __future__ import annotations

import asyncio
import json
import re
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest

from gateway.proxy_cycle import DirectProxy, ProxyCycle
from gateway.server import GatewayHttpProtocol
from gateway.settings import DEV_BOOTSTRAP_ADMIN_KEY
from tests.harness.services import RunningServer
from tests.integration.gateway.conftest import StartGateway
from tests.integration.gateway.test_upstream_client import OK, CountingServer, ScriptedServer
from tests.integration.gateway.upstreams import ADMIN_KEY

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.fixture
def direct(monkeypatch: pytest.MonkeyPatch) -> list[ProxyCycle | None]:
    """What the direct path did with each proxied request: its cycle, or None where it left it to ASGI."""
    seen: list[ProxyCycle | None] = []
    start = DirectProxy.start

    def spy(self: DirectProxy, protocol: GatewayHttpProtocol) -> ProxyCycle | None:
        cycle = start(self, protocol)
        seen.append(cycle)
        return cycle

    monkeypatch.setattr(DirectProxy, "start", spy)
    return seen


async def warmed(start_gateway: StartGateway, **overrides: Any) -> RunningServer:
    """A gateway whose key cache knows the admin key (a first request looks it up on the ASGI path)."""
    gateway = await start_gateway(**overrides)
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        assert (await client.get("/api/v1/catalog/echo/warm")).status_code == 200
    return gateway


def through(gateway: RunningServer, **kwargs: Any) -> httpx.AsyncClient:
    return httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY, **kwargs)


async def test_a_request_with_a_cached_key_is_served_without_asgi(
    start_gateway: StartGateway, direct: list[ProxyCycle | None]
) -> None:
    gateway = await start_gateway()
    async with through(gateway) as client:
        answers = [await client.get(f"/api/v1/catalog/echo/n{index}") for index in range(5)]
    assert [answer.text for answer in answers] == [f"n{index}" for index in range(5)]
    assert direct[0] is None  # the key was not cached yet: looked up on the ASGI path
    assert all(cycle is not None for cycle in direct[1:])
    assert len(direct) == 5


async def test_requests_through_the_direct_path_share_one_keep_alive_connection(
    start_gateway: StartGateway, direct: list[ProxyCycle | None]
) -> None:
    service = CountingServer()
    gateway = await start_gateway(catalog_url=await service.start())
    try:
        async with through(gateway) as client:
            answers = [await client.get(f"/api/v1/catalog/n{index}") for index in range(20)]
    finally:
        service.close()
    assert {(answer.status_code, answer.text) for answer in answers} == {(200, "ok")}
    assert sum(cycle is not None for cycle in direct) == 19
    assert service.connections == 1


async def test_a_stale_connection_is_retried_for_a_get_but_a_post_is_not_sent_twice(
    start_gateway: StartGateway, direct: list[ProxyCycle | None]
) -> None:
    service = ScriptedServer(OK, None)  # each connection answers once, then closes on the next request
    gateway = await start_gateway(catalog_url=await service.start())
    try:
        async with through(gateway) as client:
            first = await client.get("/api/v1/catalog/one")
            again = await client.get("/api/v1/catalog/two")  # stale connection: retried on a fresh one
            posted = await client.post("/api/v1/catalog/three", content=b'{"n": 3}')  # stale: not retried
    finally:
        service.close()
    assert (first.status_code, again.status_code, again.text) == (200, 200, "ok")
    assert posted.status_code == 503
    assert posted.json()["service"] == "catalog"
    assert posted.json()["instance"] == "/api/v1/catalog/three"
    assert service.connections == 2
    assert all(cycle is not None for cycle in direct[1:])


async def test_a_service_that_does_not_answer_in_time_is_a_504_naming_it_and_the_path(
    start_gateway: StartGateway, direct: list[ProxyCycle | None]
) -> None:
    slow = ScriptedServer(OK, delay_s=2.0)
    gateway = await warmed(start_gateway, billing_url=await slow.start(), upstream_timeout_s=0.3)
    try:
        async with through(gateway) as client:
            started = asyncio.get_running_loop().time()
            answer = await client.get("/api/v1/billing/slow", headers={"X-Request-ID": "trace-slow"})
            took = asyncio.get_running_loop().time() - started
    finally:
        slow.close()
    assert answer.status_code == 504
    assert answer.headers["content-type"] == "application/problem+json"
    problem = answer.json()
    assert (problem["service"], problem["instance"], problem["request_id"]) == (
        "billing",
        "/api/v1/billing/slow",
        "trace-slow",
    )
    assert answer.headers["x-request-id"] == "trace-slow"
    assert took < 1.5
    assert direct[-1] is not None


async def test_answers_that_stream_or_come_in_many_reads_pass_through_whole(
    start_gateway: StartGateway, direct: list[ProxyCycle | None]
) -> None:
    payload = bytes(range(256)) * 800  # 200 KiB: a body read whole, an answer that arrives in many reads
    gateway = await warmed(start_gateway)
    async with through(gateway) as client:
        streamed = await client.get("/api/v1/support/stream")
        echoed = await client.post("/api/v1/catalog/echo/blob", content=payload)
    assert streamed.text == "".join(f"chunk-{index};" for index in range(50))
    assert (echoed.status_code, echoed.content) == (201, payload)
    assert echoed.headers.get_list("set-cookie") == ["a=1", "b=2"]
    assert direct[-2] is not None
    assert direct[-1] is not None


async def test_an_answer_cut_short_after_its_headers_is_not_passed_on_as_complete(
    start_gateway: StartGateway, direct: list[ProxyCycle | None]
) -> None:
    cut = ScriptedServer(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\nonly part", then_close=True)
    gateway = await warmed(start_gateway, support_url=await cut.start())
    try:
        async with through(gateway) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get("/api/v1/support/tickets")
            other = await client.get("/api/v1/catalog/echo/still")
    finally:
        cut.close()
    assert (other.status_code, other.text) == (200, "still")
    assert direct[-2] is not None


async def test_the_direct_paths_refusals_are_problems_naming_the_request(
    start_gateway: StartGateway, direct: list[ProxyCycle | None]
) -> None:
    gateway = await warmed(start_gateway)
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        unknown_service = await client.get("/api/v1/payroll/x", headers=ADMIN_KEY)
        bad_path = await client.get("/api/v1/catalog/a//b", headers=ADMIN_KEY)
        anonymous = await client.get("/api/v1/billing/invoices")
        unknown_key = [await client.get("/api/v1/catalog/x", headers={"X-API-Key": "nope"}) for _ in range(2)]
    assert [unknown_service.status_code, bad_path.status_code, anonymous.status_code] == [404, 400, 401]
    assert [answer.status_code for answer in unknown_key] == [401, 401]
    for answer, path in [
        (unknown_service, "/api/v1/payroll/x"),
        (anonymous, "/api/v1/billing/invoices"),
        (unknown_key[1], "/api/v1/catalog/x"),
    ]:
        problem = answer.json()
        assert answer.headers["content-type"] == "application/problem+json"
        assert (problem["instance"], problem["request_id"]) == (path, answer.headers["x-request-id"])
    assert anonymous.headers["www-authenticate"] == 'Bearer realm="bss"'
    assert unknown_key[1].headers["www-authenticate"] == 'Bearer realm="bss", error="invalid_token"'
    # The first unknown key was looked up (ASGI); the second was refused from the cache, directly.
    assert [cycle is not None for cycle in direct[-5:]] == [True, True, True, False, True]


async def raw_exchange(gateway: RunningServer, request: bytes, *, answers: int = 1) -> list[bytes]:
    """Send `request` on one connection and read `answers` whole answers (content-length framed)."""
    url = urlsplit(gateway.base_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        writer.write(request)
        got = []
        for _ in range(answers):
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
            length = int(re.search(rb"content-length: (\d+)", head, re.I).group(1))  # type: ignore[union-attr]
            got.append(head + await reader.readexactly(length))
        return got
    finally:
        writer.close()


def get(path: bytes, version: bytes = b"1.1") -> bytes:
    key = DEV_BOOTSTRAP_ADMIN_KEY.encode()
    return b"GET " + path + b" HTTP/" + version + b"\r\nhost: gateway\r\nx-api-key: " + key + b"\r\n\r\n"


async def test_pipelined_requests_are_answered_in_order(start_gateway: StartGateway) -> None:
    gateway = await warmed(start_gateway)
    answers = await raw_exchange(gateway, b"".join(get(b"/api/v1/catalog/echo/p%d" % n) for n in range(4)), answers=4)
    assert [answer.rsplit(b"\r\n\r\n", 1)[1] for answer in answers] == [b"p0", b"p1", b"p2", b"p3"]


async def test_an_http_1_0_client_gets_its_answer_and_the_connection_closed(start_gateway: StartGateway) -> None:
    gateway = await warmed(start_gateway)
    url = urlsplit(gateway.base_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    writer.write(get(b"/api/v1/catalog/echo/old", b"1.0"))
    everything = await asyncio.wait_for(reader.read(), 5)  # until the gateway closes
    writer.close()
    head, _, body = everything.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"connection: close" in head.lower()
    assert body == b"old"


async def test_an_upload_that_expects_100_continue_is_answered(start_gateway: StartGateway) -> None:
    gateway = await warmed(start_gateway)
    url = urlsplit(gateway.base_url)
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    try:
        key = DEV_BOOTSTRAP_ADMIN_KEY.encode()
        writer.write(
            b"POST /api/v1/catalog/echo/up HTTP/1.1\r\nhost: gateway\r\nx-api-key: " + key + b"\r\n"
            b"content-type: text/plain\r\ncontent-length: 5\r\nexpect: 100-continue\r\n\r\n"
        )
        assert (await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)).startswith(b"HTTP/1.1 100 ")
        writer.write(b"hello")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
        assert head.startswith(b"HTTP/1.1 201 ")
        assert await reader.readexactly(5) == b"hello"
    finally:
        writer.close()


async def test_a_client_that_leaves_before_the_answer_leaves_the_connection_pool_whole(
    start_gateway: StartGateway,
) -> None:
    service = CountingServer(delay_s=0.3)
    gateway = await start_gateway(catalog_url=await service.start())
    url = urlsplit(gateway.base_url)
    try:
        async with through(gateway) as client:
            assert (await client.get("/api/v1/catalog/warm")).status_code == 200
            _, writer = await asyncio.open_connection(url.hostname, url.port)
            writer.write(get(b"/api/v1/catalog/left"))
            await writer.drain()
            writer.close()
            await asyncio.sleep(0.5)  # the service answers the request whose client left
            after = await client.get("/api/v1/catalog/after")
    finally:
        service.close()
    assert (after.status_code, after.text) == (200, "ok")
    assert service.connections == 1  # the answer nobody waited for was read, and its connection kept


async def test_anonymous_storefront_reads_are_limited_per_forwarded_client(start_gateway: StartGateway) -> None:
    # The test server trusts X-Forwarded-For from 127.0.0.1 (uvicorn's default): each named client has a bucket.
    gateway = await start_gateway(anonymous_rate_limit_per_s=0.01, anonymous_rate_limit_burst=1)
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:

        async def read(client_ip: str) -> int:
            answer = await client.get("/api/v1/catalog/storefront/groups", headers={"X-Forwarded-For": client_ip})
            return answer.status_code

        statuses = [await read("10.0.0.1"), await read("10.0.0.1"), await read("10.0.0.2")]
    assert statuses == [200, 429, 200]


async def test_requests_on_the_direct_path_are_logged_and_counted(
    start_gateway: StartGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway = await warmed(start_gateway, access_log=True)
    async with through(gateway) as client:
        before = _gateway_counts((await client.get("/metrics")).text)
        for index in range(3):
            await client.get(f"/api/v1/catalog/echo/counted{index}", headers={"X-Request-ID": f"trace-counted-{index}"})
        after = _gateway_counts((await client.get("/metrics")).text)
    # The 3 proxied requests, and the first /metrics (the gateway's own routes count in the same series).
    assert after["requests"] - before["requests"] == 4
    assert after["observed"] - before["observed"] == 4
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    lines: list[dict[str, Any]] = []
    while len(lines) < 3 and loop.time() < deadline:
        await asyncio.sleep(0.05)
        lines += [json.loads(line) for line in capsys.readouterr().err.splitlines() if "trace-counted-" in line]
    assert sorted((line["request_id"], line["path"], line["status"], line["caller"]) for line in lines) == [
        (f"trace-counted-{index}", f"/api/v1/catalog/echo/counted{index}", 200, "bootstrap-admin") for index in range(3)
    ]


def _gateway_counts(metrics: str) -> dict[str, float]:
    requests = re.search(
        r'^bss_http_requests_total\{method="GET",service="gateway",status="200"\} (\S+)$', metrics, re.M
    )
    observed = re.search(r'^bss_http_request_duration_seconds_count\{service="gateway"\} (\S+)$', metrics, re.M)
    return {
        "requests": float(requests.group(1)) if requests else 0.0,
        "observed": float(observed.group(1)) if observed else 0.0,
    }


@pytest.mark.parametrize(
    ("answer", "dropped"),
    [
        (b"HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: 2\r\n\r\nok", []),
        (b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nx-request-id: trace-x\r\n\r\nok", []),  # a service's echo
        (b"HTTP/1.1 200 OK\r\nx-request-id: theirs\r\ncontent-length: 2\r\n\r\nok", [b"theirs"]),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Request-Id: theirs\r\n\r\nok", [b"theirs"]),
        (
            b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\nkeep-alive: timeout=5\r\nconnection: keep-alive\r\n\r\nok",
            [b"timeout=5"],
        ),
        (b"HTTP/1.0 200 OK\r\ncontent-length: 2\r\nconnection: keep-alive\r\n\r\nok", []),
        (b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", [b"chunked"]),
    ],
    ids=["plain", "echoed-id", "own-id", "mixed-case", "one-hop", "http-1.0", "chunked"],
)
async def test_an_answer_head_reaches_the_client_with_our_request_id_once_and_no_one_hop_header(
    start_gateway: StartGateway, direct: list[ProxyCycle | None], answer: bytes, dropped: list[bytes]
) -> None:
    service = ScriptedServer(*[answer] * 3)
    gateway = await warmed(start_gateway, billing_url=await service.start())
    try:
        (got,) = await raw_exchange(
            gateway, get(b"/api/v1/billing/x").replace(b"\r\n\r\n", b"\r\nx-request-id: trace-x\r\n\r\n")
        )
    finally:
        service.close()
    head, _, body = got.partition(b"\r\n\r\n")
    status_line, *lines = head.split(b"\r\n")
    fields = [(name.lower(), value) for name, _, value in (line.partition(b": ") for line in lines)]
    assert status_line.startswith(b"HTTP/1.1 200 ")
    assert body == b"ok"
    assert [value for name, value in fields if name == b"x-request-id"] == [b"trace-x"]
    assert [value for name, value in fields if name == b"content-length"] == [b"2"]
    assert not {b"connection", b"keep-alive", b"transfer-encoding"} & {name for name, _ in fields}
    assert not [value for _, value in fields if value in dropped]
    assert direct[-1] is not None


async def test_an_answer_without_a_body_gets_a_zero_length(start_gateway: StartGateway) -> None:
    service = ScriptedServer(*[b"HTTP/1.1 204 No Content\r\n\r\n"] * 3)
    gateway = await warmed(start_gateway, billing_url=await service.start())
    try:
        async with through(gateway) as client:
            answer = await client.delete("/api/v1/billing/x")
    finally:
        service.close()
    assert (answer.status_code, answer.content) == (204, b"")
    assert answer.headers["x-request-id"]
