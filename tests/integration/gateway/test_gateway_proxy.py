"""The gateway's proxy through real sockets: routing, bodies, headers, problem+json, a service that is down."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio

from tests.harness.services import RunningServer
from tests.integration.gateway.conftest import StartGateway
from tests.integration.gateway.upstreams import ADMIN_KEY, hang_up_server

pytestmark = pytest.mark.asyncio(loop_scope="session")
JSON = {"content-type": "application/json"}


@pytest_asyncio.fixture(loop_scope="session", params=["direct", "asgi"])
async def gateway(start_gateway: StartGateway, request: pytest.FixtureRequest) -> RunningServer:
    """Each test below runs twice: on the gateway's own protocol with the key already cached, so that its
    requests take the direct path (`gateway.proxy_cycle`), and on uvicorn's, where each is an ASGI call."""
    server = await start_gateway(asgi_only=request.param == "asgi")
    async with httpx.AsyncClient(base_url=server.base_url, headers=ADMIN_KEY) as client:
        assert (await client.get("/api/v1/catalog/echo/warm")).status_code == 200
    return server


async def test_gateway_routes_service_prefix_to_the_service_v1_path(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        response = await client.get("/api/v1/catalog/echo/products/42", params={"as_of": "2024-02-01"})
    assert response.status_code == 200
    assert response.text == "products/42"
    assert response.headers["x-seen-query"] == "as_of=2024-02-01"


async def test_gateway_passes_bodies_status_and_duplicate_headers_unchanged(gateway: RunningServer) -> None:
    payload = b'{"quantity": "12.5"}' * 1000
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        response = await client.post(
            "/api/v1/billing/echo/usage", content=payload, headers={"content-type": "application/json"}
        )
    assert response.status_code == 201
    assert response.content == payload
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]


async def test_gateway_streams_a_chunked_answer(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        response = await client.get("/api/v1/support/stream")
    assert response.text == "".join(f"chunk-{index};" for index in range(50))


async def test_gateway_passes_service_problem_json_through(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        response = await client.get("/api/v1/catalog/missing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "There is no such thing; check the id."


async def test_gateway_answers_503_naming_a_service_that_is_down_and_keeps_serving_others(
    gateway: RunningServer,
) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        down = await client.get("/api/v1/subscriptions/echo/x")
        up = await client.get("/api/v1/catalog/echo/x")
    assert down.status_code == 503
    assert down.headers["content-type"] == "application/problem+json"
    assert down.json()["service"] == "subscriptions"
    assert "subscriptions service is not reachable" in down.json()["detail"]
    assert up.status_code == 200


async def test_gateway_passes_and_returns_the_request_id(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        given = await client.get("/api/v1/catalog/echo/x", headers={"X-Request-ID": "trace-77"})
        fresh = await client.get("/api/v1/catalog/echo/x")
    assert given.headers["x-request-id"] == "trace-77"
    assert given.headers["x-seen-request-id"] == "trace-77"
    assert fresh.headers["x-request-id"] == fresh.headers["x-seen-request-id"] != ""
    assert given.headers.get_list("x-request-id") == ["trace-77"]


async def test_gateway_refuses_an_oversized_body_with_problem_json(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        response = await client.post("/api/v1/billing/echo/usage", content=b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.json()["title"] == "Request body too large"


async def test_gateway_answers_unknown_service_with_problem_json(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        response = await client.get("/api/v1/payroll/anything")
    assert response.status_code == 404
    assert "No service 'payroll'" in response.json()["detail"]


async def test_merged_openapi_lists_each_service_under_its_prefix(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        document = (await client.get("/openapi.json")).json()
        docs = await client.get("/docs")
    assert "/api/v1/catalog/echo/{rest}" in document["paths"]
    assert "/api/v1/billing/missing" in document["paths"]
    assert not any(path.startswith("/api/v1/subscriptions/") for path in document["paths"])
    assert "unavailable" in document["info"]["description"]
    assert set(document["components"]["securitySchemes"]) == {"ApiKey", "Bearer"}
    assert any(name.startswith("catalog__") for name in document["components"]["schemas"])
    assert docs.status_code == 200
    assert "swagger" in docs.text.lower()
    create_key = document["paths"]["/gateway/v1/keys"]["post"]
    key_schema = create_key["requestBody"]["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    assert key_schema in document["components"]["schemas"]
    assert document["security"] == [{"ApiKey": []}, {"Bearer": []}]
    assert document["paths"]["/healthz"]["get"]["security"] == []
    assert {} in document["paths"]["/api/v1/catalog/storefront/groups"]["get"]["security"]
    assert "security" not in document["paths"]["/api/v1/catalog/missing"]["get"]  # the global one applies


async def test_gateway_streams_large_bodies_both_ways(gateway: RunningServer) -> None:
    payload = bytes(range(256)) * 3600  # ~900 KiB: above the buffered size, below the 1 MiB limit
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        response = await client.put(
            "/api/v1/catalog/echo/blob", content=payload, headers={"content-type": "application/octet-stream"}
        )
    assert response.status_code == 200
    assert response.content == payload


async def test_gateway_forwards_a_chunked_upload_without_a_length(gateway: RunningServer) -> None:
    async def parts() -> AsyncIterator[bytes]:
        for index in range(40):
            yield f"part-{index:03d};".encode() * 1000

    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        response = await client.post("/api/v1/catalog/echo/upload", content=parts())
    assert response.status_code == 201
    assert response.content == b"".join(f"part-{index:03d};".encode() * 1000 for index in range(40))


async def test_gateway_refuses_an_oversized_chunked_upload_with_problem_json(gateway: RunningServer) -> None:
    async def parts() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b"x" * 64 * 1024  # 1.25 MiB in all, over the 1 MiB limit

    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        response = await client.post("/api/v1/catalog/echo/upload", content=parts())
    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"


async def test_gateway_passes_a_services_validation_problem_for_a_malformed_body(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        broken = await client.post(
            "/api/v1/billing/usage/records", content=b'{"subscription_id": "s-1", "quantity": ', headers=JSON
        )
        wrong = await client.post("/api/v1/billing/usage/records", json={"subscription_id": "s-1", "quantity": "x"})
    assert broken.status_code == 422
    assert broken.headers["content-type"] == "application/problem+json"
    assert wrong.status_code == 422
    assert "quantity" in str(wrong.json()["errors"])


async def test_gateway_refuses_paths_with_dot_segments_or_encoded_slashes(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        dots = await client.get("/api/v1/catalog/storefront/%2e%2e/products")
        slash = await client.get("/api/v1/catalog/storefront/a%2Fb", headers=ADMIN_KEY)
    assert dots.status_code == 400
    assert dots.json()["title"] == "Path not allowed"
    assert slash.status_code == 400


async def test_gateway_answers_503_when_the_service_hangs_up_without_answering(
    start_gateway: StartGateway,
) -> None:
    rude, url = await hang_up_server()
    try:
        gateway = await start_gateway(billing_url=url)
        async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
            response = await client.post("/api/v1/billing/usage", json={"quantity": "1"})
            other = await client.get("/api/v1/catalog/echo/x")
    finally:
        rude.close()
    assert response.status_code == 503
    assert response.json()["service"] == "billing"
    assert other.status_code == 200


async def test_gateway_gives_each_of_many_concurrent_requests_its_own_answer(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        answers = await asyncio.gather(*(client.get(f"/api/v1/catalog/echo/n{index}") for index in range(200)))
    assert [answer.text for answer in answers] == [f"n{index}" for index in range(200)]


async def test_gateway_answers_head_without_a_body_and_keeps_serving(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        head = await client.head("/api/v1/catalog/echo/products/42")
        after = await client.get("/api/v1/catalog/echo/products/42")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == "11"
    assert after.text == "products/42"


async def test_an_answer_cut_short_by_the_service_is_not_passed_on_as_complete(start_gateway: StartGateway) -> None:
    async def half_answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 200 OK\r\ncontent-length: 100\r\ncontent-type: text/plain\r\n\r\nonly part")
        await writer.drain()
        writer.close()

    rude = await asyncio.start_server(half_answer, "127.0.0.1", 0)
    try:
        gateway = await start_gateway(support_url=f"http://127.0.0.1:{rude.sockets[0].getsockname()[1]}")
        async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
            with pytest.raises(httpx.RemoteProtocolError):
                await client.get("/api/v1/support/tickets")
            other = await client.get("/api/v1/catalog/echo/x")
    finally:
        rude.close()
    assert other.status_code == 200


async def test_every_proxied_request_is_logged_with_its_request_id_and_caller(
    start_gateway: StartGateway, capsys: pytest.CaptureFixture[str]
) -> None:
    gateway = await start_gateway(access_log=True)
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        await client.get("/api/v1/catalog/echo/logged", headers={"X-Request-ID": "trace-logged-1"})
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 5
    lines: list[dict[str, object]] = []
    while not lines and loop.time() < deadline:
        await asyncio.sleep(0.05)
        err = capsys.readouterr().err
        lines = [json.loads(line) for line in err.splitlines() if '"trace-logged-1"' in line]
    (line,) = lines
    assert line["event"] == "access"
    assert (line["status"], line["caller"], line["path"]) == (200, "bootstrap-admin", "/api/v1/catalog/echo/logged")


async def test_docs_pages_load_every_asset_from_the_gateway_itself(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        for page in ("/docs", "/redoc"):
            html = (await client.get(page)).text
            assets = re.findall(r'(?:src|href)="([^"]+)"', html)
            assert assets, page
            assert all(asset.startswith("/docs/assets/") for asset in assets), (page, assets)
            assert "://" not in html, page  # nothing from another host
            for asset in assets:
                answer = await client.get(asset)
                assert (answer.status_code, len(answer.content) > 1000) == (200, True), asset


async def test_the_home_page_links_the_docs_and_the_pages(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        home = await client.get("/")
    assert (home.status_code, home.headers["content-type"]) == (200, "text/html; charset=utf-8")
    links = set(re.findall(r'href="([^"]+)"', home.text))
    assert {"/docs", "/redoc", "/storefront", "/storefront/admin", "/readyz"} <= links
