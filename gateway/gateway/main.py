"""`create_app()`: the gateway. FastAPI serves the gateway's own routes; proxied calls bypass it.

The outer ASGI callable looks at the path once: `/api/v1/<service>/...` goes straight to the proxy,
everything else (health, docs, the merged OpenAPI) to the FastAPI app.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import structlog
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import Receive, Scope, Send

from bss.metrics import HTTP_LATENCY, HTTP_REQUESTS
from bss.observability import REQUEST_ID_HEADER, RequestContextMiddleware, configure_logging
from bss.problems import install_problem_handlers
from gateway.openapi_merge import merge_openapi
from gateway.proxy import Upstream, proxy, send_problem
from gateway.settings import GatewaySettings, get_settings

API_PREFIX = "/api/v1/"
log = structlog.get_logger("gateway")


class Gateway:
    """The ASGI entry: proxy hot path for `/api/v1/<service>/...`, FastAPI for the rest."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.upstreams = {
            name: Upstream(name, url, connections=settings.upstream_connections, timeout_s=settings.upstream_timeout_s)
            for name, url in settings.upstreams().items()
        }
        self.app = _admin_app(self)
        self._openapi: dict[str, Any] | None = None
        self._openapi_at = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            await self._proxy(scope, receive, send)
            return
        await self.app(scope, receive, send)

    async def _proxy(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        rest = scope["path"][len(API_PREFIX) :]
        service, _, tail = rest.partition("/")
        upstream = self.upstreams.get(service)
        request_id = _request_id(scope)
        status = 404

        async def send_with_id(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", []) if k != REQUEST_ID_HEADER]
                message["headers"] = [*headers, (REQUEST_ID_HEADER, request_id)]
            await send(message)

        try:
            if upstream is None:
                status = await send_problem(
                    send_with_id,
                    404,
                    "not-found",
                    "Not found",
                    f"No service '{service}'; the services are {', '.join(sorted(self.upstreams))}.",
                )
                return
            status = await proxy(
                scope,
                receive,
                send_with_id,
                upstream=upstream,
                path=f"/v1/{tail}",
                extra_headers=[(REQUEST_ID_HEADER, request_id)],
                max_body_bytes=self.settings.max_body_bytes,
            )
        finally:
            HTTP_REQUESTS.labels("gateway", scope["method"], str(status)).inc()
            HTTP_LATENCY.labels("gateway").observe(time.perf_counter() - started)

    async def merged_openapi(self) -> dict[str, Any]:
        now = time.monotonic()
        if self._openapi is not None and now - self._openapi_at < self.settings.openapi_cache_s:
            return self._openapi
        names = list(self.upstreams)
        documents = await asyncio.gather(*(self._fetch_openapi(self.upstreams[name]) for name in names))
        merged = merge_openapi(
            dict(zip(names, documents, strict=True)),
            title="BSS suite API",
            version="0.1.0",
            gateway_paths=self.app.openapi().get("paths", {}),
            security_schemes={
                "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
                "Bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
            },
        )
        if all(document is not None for document in documents):
            self._openapi, self._openapi_at = merged, now
        return merged

    async def _fetch_openapi(self, upstream: Upstream) -> dict[str, Any] | None:
        try:
            async with upstream.session.get(f"{upstream.base_url}/openapi.json") as response:
                if response.status != 200:
                    return None
                document: dict[str, Any] = await response.json()
                return document
        except (aiohttp.ClientError, TimeoutError, ValueError):
            return None

    async def close(self) -> None:
        for upstream in self.upstreams.values():
            await upstream.close()


def _request_id(scope: Scope) -> bytes:
    for key, value in scope["headers"]:
        if key == REQUEST_ID_HEADER and 0 < len(value) <= 200:
            return bytes(value)
    return uuid.uuid4().hex.encode()


def _admin_app(gateway: Gateway) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        configure_logging(gateway.settings.log_level, json=gateway.settings.log_json)
        log.info("gateway started", upstreams=gateway.settings.upstreams())
        try:
            yield
        finally:
            await gateway.close()

    app = FastAPI(
        title="BSS gateway",
        version="0.1.0",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
        openapi_url="/gateway/openapi.json",
    )
    install_problem_handlers(app)
    app.add_middleware(RequestContextMiddleware, service="gateway")

    @app.get("/healthz", tags=["operations"], summary="Liveness: the gateway answers")
    async def healthz() -> dict[str, str]:
        return {"status": "ok", "service": "gateway"}

    @app.get("/readyz", tags=["operations"], summary="Readiness: which services answer their /readyz")
    async def readyz() -> JSONResponse:
        results = await asyncio.gather(*(_service_ready(u) for u in gateway.upstreams.values()))
        checks = dict(zip(gateway.upstreams, results, strict=True))
        ready = all(value == "ok" for value in checks.values())
        return JSONResponse({"status": "ready" if ready else "degraded", "checks": checks}, 200 if ready else 503)

    @app.get("/metrics", tags=["operations"], summary="Prometheus metrics", response_class=Response)
    async def metrics() -> Response:
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(_request: Request) -> JSONResponse:
        return JSONResponse(await gateway.merged_openapi())

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(openapi_url="/openapi.json", title="BSS suite API")

    return app


async def _service_ready(upstream: Upstream) -> str:
    try:
        async with upstream.session.get(f"{upstream.base_url}/readyz") as response:
            return "ok" if response.status == 200 else f"not ready ({response.status})"
    except (aiohttp.ClientError, TimeoutError):
        return "unreachable"


def create_app(settings: GatewaySettings | None = None) -> Gateway:
    return Gateway(settings or get_settings())
