"""`create_app()`: the gateway. FastAPI serves the gateway's own routes; proxied calls bypass it.

The outer ASGI callable looks at the path once: `/api/v1/<service>/...` goes straight to the proxy,
everything else (health, docs, the merged OpenAPI, key management, the storefront pages) to the FastAPI app.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import quote

import fastapi_offline
import structlog
from fastapi import Depends, FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.types import Receive, Scope, Send

from bss.api.error_responses import document_problems
from bss.api.json_body import require_json_body_routes
from bss.api.query_parameters import refuse_unknown_query_parameters
from bss.db import check_reachable, create_engine, session_factory
from bss.identity import IDENTITY_HEADER, SIGNATURE_HEADER, Caller, Role, encode_caller
from bss.migrations import upgrade_to_head
from bss.observability import RequestContextMiddleware, configure_logging
from bss.problems import ServiceUnavailable, install_problem_handlers
from bss.service_app import METRICS_RESPONSE
from gateway.access_log import AccessLog
from gateway.admin_api import router as keys_router
from gateway.admission import API_PREFIX
from gateway.auth import Authenticator
from gateway.caller_api import router as caller_router
from gateway.keystore import KeyStore
from gateway.openapi_merge import merge_openapi
from gateway.policy import STOREFRONT_PREFIX, STOREFRONT_SERVICE
from gateway.proxy import Proxy
from gateway.ratelimit import create_limiter
from gateway.settings import GatewaySettings, get_settings
from gateway.storefront_pages import install_storefront
from gateway.upstream import Upstream, UpstreamUnavailable

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
HOME_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>BSS suite</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:42rem;margin:3rem auto;padding:0 1rem}
code{background:#f3f3f3;padding:0 .2rem}</style></head><body>
<h1>BSS suite</h1>
<p>The one entry to the suite for resellers' storefronts, the distributor's admins and other systems.</p>
<ul>
<li><a href="/docs">API docs</a> (Swagger UI; also <a href="/redoc">ReDoc</a> and <a href="/openapi.json">the
OpenAPI document</a>): every operation, under <code>/api/v1/&lt;service&gt;/...</code>, with an
<code>X-API-Key</code> header</li>
<li><a href="/storefront">Storefront</a>: a reseller's month (sign in with a reseller key)</li>
<li><a href="/storefront/admin">Admin page</a>: the distributor's month (sign in with an admin key)</li>
<li><a href="/readyz">Readiness</a> of every service, <a href="/metrics">metrics</a></li>
</ul>
</body></html>
"""
KEY_CHECKER = Caller(Role.ADMIN, "gateway:api-keys")
"""Who the gateway is when it asks subscriptions whether a key's tenant exists."""
HOME_PAGE_POLICY = "default-src 'none'; style-src 'unsafe-inline'"
DOCS_ASSETS = "/docs/assets"
DOCS_ASSETS_DIR = Path(fastapi_offline.__file__).resolve().parent / "static"
"""Swagger UI 5, ReDoc and their favicon, as the `fastapi-offline` package ships them."""
READY = {
    "status": "ready",
    "checks": {"catalog": "ok", "subscriptions": "ok", "billing": "ok", "support": "ok"},
}
"""What `/readyz` answers while every service is ready."""
SECURITY_SCHEMES = {
    "ApiKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "Bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"},
}
log = structlog.get_logger("gateway")


class Gateway:
    """The ASGI entry: proxy hot path for `/api/v1/<service>/...`, FastAPI for the rest."""

    def __init__(self, settings: GatewaySettings) -> None:
        self.settings = settings
        self.upstreams = {
            name: Upstream(
                name,
                url,
                connections=settings.upstream_connections,
                timeout_s=settings.upstream_timeout_s,
                idle_s=settings.upstream_idle_s,
            )
            for name, url in settings.upstreams().items()
        }
        self.engine = create_engine(settings.database_url)
        self.key_store = KeyStore(session_factory(self.engine))
        self.authenticator = Authenticator(settings, self.key_store)
        self.limiter = create_limiter(settings.redis_url)
        self.access_log = AccessLog(enabled=settings.access_log)
        self.proxy = Proxy(
            upstreams=self.upstreams,
            authenticator=self.authenticator,
            limiter=self.limiter,
            identity_secret=settings.identity_secret.get_secret_value().encode(),
            max_body_bytes=settings.max_body_bytes,
            anonymous_limit=(settings.anonymous_rate_limit_per_s, settings.anonymous_rate_limit_burst),
            on_done=self.access_log.record,
        )
        self.app = _admin_app(self)
        self.app.state.tenant_exists = self.reseller_exists if settings.check_key_tenants else None
        self._openapi: dict[str, Any] | None = None
        self._openapi_at = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(API_PREFIX):
            await self.proxy(scope, receive, send)  # type: ignore[arg-type]
            return
        await self.app(scope, receive, send)

    async def start(self) -> None:
        await check_reachable(self.engine, "gateway", "GATEWAY_DATABASE_URL")
        if self.settings.migrate_on_start:
            await upgrade_to_head(self.engine, self.settings.migrations_dir or MIGRATIONS_DIR)

    async def reseller_exists(self, tenant_id: str) -> bool:
        """Whether subscriptions knows the reseller a key is for (a key for a tenant nobody registered would see
        only empty lists). `UpstreamUnavailable` when subscriptions cannot answer."""
        upstream = self.upstreams["subscriptions"]
        target = f"/v1/resellers/{quote(tenant_id, safe='')}"
        value, signature = self.proxy.signer.bind(
            encode_caller(KEY_CHECKER),
            self.proxy.audiences["subscriptions"],
            b"GET",
            upstream.base_path + target.encode(),
            int(time.time()),
        )
        status, _ = await upstream.get(
            target, [(IDENTITY_HEADER.encode(), value), (SIGNATURE_HEADER.encode(), signature)]
        )
        if status >= 500:
            raise UpstreamUnavailable(f"subscriptions answered {status}")
        return status == 200

    async def merged_openapi(self) -> dict[str, Any]:
        now = time.monotonic()
        if self._openapi is not None and now - self._openapi_at < self.settings.openapi_cache_s:
            return self._openapi
        names = list(self.upstreams)
        documents = await asyncio.gather(*(_fetch_openapi(self.upstreams[name]) for name in names))
        merged = self.merge_openapi(dict(zip(names, documents, strict=True)))
        if all(document is not None for document in documents):
            self._openapi, self._openapi_at = merged, now
        return merged

    def merge_openapi(self, documents: dict[str, dict[str, Any] | None]) -> dict[str, Any]:
        """The suite's one document from the services' (None for a service that did not answer)."""
        return merge_openapi(
            documents,
            title="BSS suite API",
            version="0.1.0",
            gateway_document=self.app.openapi(),
            security_schemes=SECURITY_SCHEMES,
            public_paths=("/healthz", "/readyz", "/metrics"),
            optional_auth_prefixes=(f"{API_PREFIX}{STOREFRONT_SERVICE}/{STOREFRONT_PREFIX}",),
        )

    async def close(self) -> None:
        self.access_log.flush()
        for upstream in self.upstreams.values():
            await upstream.close()
        await self.limiter.close()
        await self.engine.dispose()


async def _fetch_openapi(upstream: Upstream) -> dict[str, Any] | None:
    try:
        status, body = await upstream.get("/openapi.json")
        if status != 200:
            return None
        document: dict[str, Any] = json.loads(body)
        return document
    except (UpstreamUnavailable, ValueError):
        return None


async def _service_ready(upstream: Upstream) -> str:
    try:
        status, _ = await upstream.get("/readyz")
    except UpstreamUnavailable:
        return "unreachable"
    return "ok" if status == 200 else f"not ready ({status})"


def _admin_app(gateway: Gateway) -> FastAPI:
    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        configure_logging(gateway.settings.log_level, json=gateway.settings.log_json)
        await gateway.start()
        log.info(
            "gateway started",
            upstreams=gateway.settings.upstreams(),
            rate_limits="redis" if gateway.settings.redis_url else "in process",
            jwt=bool(gateway.settings.jwt_key.get_secret_value()),
        )
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
        # The gateway's own operations (keys, me, health, docs, the storefront pages) refuse query parameters they
        # do not declare, as the services do; the static files (a mount) and the proxy are not operations.
        dependencies=[Depends(refuse_unknown_query_parameters)],
    )
    app.state.authenticator = gateway.authenticator
    app.state.key_store = gateway.key_store
    install_problem_handlers(app)
    app.add_middleware(RequestContextMiddleware, service="gateway")
    require_json_body_routes([keys_router, caller_router])
    app.include_router(keys_router)
    app.include_router(caller_router)
    install_storefront(app)

    @app.get("/healthz", tags=["operations"], summary="Liveness: the gateway answers")
    async def healthz() -> dict[str, str]:
        """Liveness: the gateway process answers, without asking the services (their state is `/readyz`). Public:
        no credentials. Kubernetes probes it for both liveness and readiness, so one service's outage never takes
        the whole API away."""
        return {"status": "ok", "service": "gateway"}

    @app.get(
        "/readyz",
        tags=["operations"],
        summary="Readiness: which services answer their /readyz",
        responses={
            200: {"description": "Every service is ready", "content": {"application/json": {"example": READY}}},
            503: {"description": "Some service is not ready; `checks` says which and why"},
        },
    )
    async def readyz() -> JSONResponse:
        """Readiness of the suite: asks every service's `/readyz` (its database, broker and schema) and answers
        each one's state in `checks`, `ok` or why not. 200 when every service is ready; otherwise 503, a problem
        naming the services that are not, with the same `checks`. Public: no credentials."""
        results = await asyncio.gather(*(_service_ready(u) for u in gateway.upstreams.values()))
        checks = dict(zip(gateway.upstreams, results, strict=True))
        waiting = [f"{name} ({state})" for name, state in checks.items() if state != "ok"]
        if waiting:
            raise ServiceUnavailable(
                f"Not every service is ready: {', '.join(waiting)}.", title="The suite is not ready", checks=checks
            )
        return JSONResponse({"status": "ready", "checks": checks})

    @app.get(
        "/metrics",
        tags=["operations"],
        summary="Prometheus metrics",
        response_class=Response,
        responses=METRICS_RESPONSE,
    )
    async def metrics() -> Response:
        """The gateway's Prometheus metrics in the text format: requests by method and status, their latencies,
        and the process's own. Public: no credentials, for the scraper. Each service serves its own `/metrics`
        on its internal address."""
        gateway.access_log.flush()  # the proxied requests tallied since the last flush
        return Response(generate_latest(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi(_request: Request) -> JSONResponse:
        return JSONResponse(await gateway.merged_openapi())

    @app.get("/", include_in_schema=False)
    async def home() -> HTMLResponse:
        return HTMLResponse(
            HOME_PAGE, headers={"Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"}
        )

    # Swagger UI and ReDoc from the installed fastapi-offline package, not a CDN: the docs work offline.
    app.mount(DOCS_ASSETS, StaticFiles(directory=DOCS_ASSETS_DIR), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="BSS suite API",
            swagger_js_url=f"{DOCS_ASSETS}/swagger-ui-bundle.js",
            swagger_css_url=f"{DOCS_ASSETS}/swagger-ui.css",
            swagger_favicon_url=f"{DOCS_ASSETS}/favicon.png",
        )

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return get_redoc_html(
            openapi_url="/openapi.json",
            title="BSS suite API",
            redoc_js_url=f"{DOCS_ASSETS}/redoc.standalone.js",
            redoc_favicon_url=f"{DOCS_ASSETS}/favicon.png",
            with_google_fonts=False,
        )

    document_problems(app)
    return app


def create_app(settings: GatewaySettings | None = None) -> Gateway:
    return Gateway(settings or get_settings())
