"""Real upstream servers for the gateway tests: an echo service, an identity echo and a rude socket server."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from decimal import Decimal
from typing import Any

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict

from bss.identity import IDENTITY_HEADER, SIGNATURE_HEADER, InvalidIdentity, decode_identity, request_target
from bss.problems import NotFound, install_problem_handlers
from bss.settings import DEV_IDENTITY_SECRET
from gateway.settings import DEV_BOOTSTRAP_ADMIN_KEY

ADMIN_KEY = {"X-API-Key": DEV_BOOTSTRAP_ADMIN_KEY}


class UsageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subscription_id: str
    quantity: Decimal


def echo_service(secret: str = DEV_IDENTITY_SECRET) -> FastAPI:
    """Echoes bodies (`/v1/echo/...`), streams, fails, and reports the caller it was given (`/v1/...`)."""
    app = FastAPI(title="echo", openapi_tags=[{"name": "echo"}])
    install_problem_handlers(app)

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

    for method in ("GET", "HEAD", "POST", "PUT", "DELETE"):
        app.add_api_route("/v1/echo/{rest:path}", echo, methods=[method], tags=["echo"], operation_id=f"echo_{method}")

    @app.get("/v1/missing", tags=["echo"])
    async def missing() -> None:
        raise NotFound("There is no such thing; check the id.")

    @app.get("/v1/stream", tags=["echo"])
    async def stream() -> StreamingResponse:
        async def chunks() -> AsyncIterator[bytes]:
            for index in range(50):
                yield f"chunk-{index};".encode()

        return StreamingResponse(chunks(), media_type="text/plain")

    @app.get("/v1/storefront/groups", tags=["echo"])
    async def storefront_groups(request: Request) -> dict[str, Any]:
        return {"method": "GET", "path": "storefront/groups", **_caller(request, secret)}

    @app.post("/v1/usage/records", status_code=201, tags=["echo"])
    async def record_usage(body: UsageIn) -> dict[str, str]:
        return {"subscription_id": body.subscription_id, "quantity": str(body.quantity)}

    async def whoami(rest: str, request: Request) -> dict[str, Any]:
        return {"method": request.method, "path": rest, **_caller(request, secret)}

    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        app.add_api_route("/v1/{rest:path}", whoami, methods=[method], tags=["echo"], operation_id=f"whoami_{method}")

    return app


def _caller(request: Request, secret: str) -> dict[str, Any]:
    values = request.headers.getlist(IDENTITY_HEADER)
    signatures = request.headers.getlist(SIGNATURE_HEADER)
    seen = {
        "identity_headers": len(values),
        "signature_headers": len(signatures),
        "other_identity_headers": sorted(
            {k for k in request.headers if k.startswith("x-bss-identity")} - {IDENTITY_HEADER, SIGNATURE_HEADER}
        ),
        "credentials_forwarded": "authorization" in request.headers or "x-api-key" in request.headers,
    }
    if len(values) != 1 or len(signatures) != 1:
        return {**seen, "caller": None}
    # The echo plays every service: it takes the audience the identity names (reported) and checks the rest.
    audience = values[0].split(".")[1] if values[0].count(".") == 4 else "?"
    target = request_target(request.scope["raw_path"], request.scope["query_string"])
    try:
        caller = decode_identity(
            values[0],
            signatures[0],
            secret.encode(),
            audience=audience,
            method=request.method,
            target=target,
            now=time.time(),
        )
    except InvalidIdentity as exc:
        return {**seen, "caller": None, "refused": str(exc)}
    who = {"role": caller.role.value, "subject": caller.subject, "tenant": caller.tenant_id}
    return {**seen, "caller": who, "audience": audience}


async def hang_up_server() -> tuple[asyncio.Server, str]:
    """A server that accepts connections, reads the request and closes without answering."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(65536)
        writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"http://127.0.0.1:{port}"


async def create_key(client: httpx.AsyncClient, role: str, tenant_id: str | None = None, **extra: Any) -> str:
    """A new API key's token, created through the gateway's admin API with the bootstrap admin key."""
    body: dict[str, Any] = {"name": f"test {role}", "role": role, **extra}
    if tenant_id is not None:
        body["tenant_id"] = tenant_id
    response = await client.post("/gateway/v1/keys", json=body, headers=ADMIN_KEY)
    assert response.status_code == 201, response.text
    token: str = response.json()["token"]
    return token
