"""The gateway's proxy through real sockets: routing, bodies, headers, problem+json, a service that is down."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse

from bss.embedded_broker import free_port
from bss.problems import NotFound, install_problem_handlers
from gateway.main import create_app
from gateway.settings import GatewaySettings
from tests.harness.services import RunningServer, serve

pytestmark = pytest.mark.asyncio(loop_scope="session")


def echo_service() -> FastAPI:
    app = FastAPI(title="echo", openapi_tags=[{"name": "echo"}])
    install_problem_handlers(app)

    @app.api_route("/v1/echo/{rest:path}", methods=["GET", "POST", "PUT", "DELETE"], tags=["echo"])
    async def echo(rest: str, request: Request) -> Response:
        body = await request.body()
        response = Response(
            content=body or rest.encode(),
            status_code=201 if request.method == "POST" else 200,
            media_type=request.headers.get("content-type", "text/plain"),
            headers={"x-seen-query": request.url.query, "x-seen-request-id": request.headers.get("x-request-id", "")},
        )
        response.headers.append("set-cookie", "a=1")
        response.headers.append("set-cookie", "b=2")
        return response

    @app.get("/v1/missing", tags=["echo"])
    async def missing() -> None:
        raise NotFound("There is no such thing; check the id.")

    @app.get("/v1/stream", tags=["echo"])
    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for index in range(50):
                yield f"chunk-{index};".encode()

        return StreamingResponse(chunks(), media_type="text/plain")

    return app


@pytest_asyncio.fixture(loop_scope="session")
async def gateway() -> AsyncIterator[RunningServer]:
    upstream = await serve(echo_service())
    down = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    settings = GatewaySettings(
        catalog_url=upstream.base_url,
        subscriptions_url=down,
        billing_url=upstream.base_url,
        support_url=upstream.base_url,
        max_body_bytes=1024 * 1024,
        log_json=False,
    )
    server = await serve(create_app(settings))
    yield server
    await server.stop()
    await upstream.stop()


async def test_gateway_routes_service_prefix_to_the_service_v1_path(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        response = await client.get("/api/v1/catalog/echo/products/42", params={"as_of": "2024-02-01"})
    assert response.status_code == 200
    assert response.text == "products/42"
    assert response.headers["x-seen-query"] == "as_of=2024-02-01"


async def test_gateway_passes_bodies_status_and_duplicate_headers_unchanged(gateway: RunningServer) -> None:
    payload = b'{"quantity": "12.5"}' * 1000
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        response = await client.post(
            "/api/v1/billing/echo/usage", content=payload, headers={"content-type": "application/json"}
        )
    assert response.status_code == 201
    assert response.content == payload
    assert response.headers.get_list("set-cookie") == ["a=1", "b=2"]


async def test_gateway_streams_a_chunked_answer(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        response = await client.get("/api/v1/support/stream")
    assert response.text == "".join(f"chunk-{index};" for index in range(50))


async def test_gateway_passes_service_problem_json_through(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        response = await client.get("/api/v1/catalog/missing")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "There is no such thing; check the id."


async def test_gateway_answers_503_naming_a_service_that_is_down_and_keeps_serving_others(
    gateway: RunningServer,
) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        down = await client.get("/api/v1/subscriptions/echo/x")
        up = await client.get("/api/v1/catalog/echo/x")
    assert down.status_code == 503
    assert down.headers["content-type"] == "application/problem+json"
    assert down.json()["service"] == "subscriptions"
    assert "subscriptions service is not reachable" in down.json()["detail"]
    assert up.status_code == 200


async def test_gateway_passes_and_returns_the_request_id(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        given = await client.get("/api/v1/catalog/echo/x", headers={"X-Request-ID": "trace-77"})
        fresh = await client.get("/api/v1/catalog/echo/x")
    assert given.headers["x-request-id"] == "trace-77"
    assert given.headers["x-seen-request-id"] == "trace-77"
    assert fresh.headers["x-request-id"] == fresh.headers["x-seen-request-id"] != ""
    assert given.headers.get_list("x-request-id") == ["trace-77"]


async def test_gateway_refuses_an_oversized_body_with_problem_json(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        response = await client.post("/api/v1/billing/echo/usage", content=b"x" * (1024 * 1024 + 1))
    assert response.status_code == 413
    assert response.json()["title"] == "Request body too large"


async def test_gateway_answers_unknown_service_with_problem_json(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        response = await client.get("/api/v1/payroll/anything")
    assert response.status_code == 404
    assert "No service 'payroll'" in response.json()["detail"]


async def test_merged_openapi_lists_each_service_under_its_prefix(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
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
