"""A captured identity is bound to its request: replayed to another service, or to the same service with another
method, path or query, it is refused (401 problem+json saying why). Real gateway, real services' caller check."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import SimpleNamespace
from typing import Any

import httpx
import pytest
import pytest_asyncio
from fastapi import FastAPI, Request
from pydantic import SecretStr

from bss.api.caller import CurrentCaller
from bss.identity import IDENTITY_HEADER, SIGNATURE_HEADER
from bss.problems import install_problem_handlers
from bss.settings import DEV_IDENTITY_SECRET
from tests.harness.services import RunningServer, serve
from tests.integration.gateway.conftest import StartGateway
from tests.integration.gateway.upstreams import ADMIN_KEY

pytestmark = pytest.mark.asyncio(loop_scope="session")


def recording_service(name: str) -> FastAPI:
    """A service named `name` that checks callers as the real ones do (`bss.api.caller`) and shows the identity."""
    app = FastAPI()
    install_problem_handlers(app)
    app.state.runtime = SimpleNamespace(
        settings=SimpleNamespace(identity_secret=SecretStr(DEV_IDENTITY_SECRET), service_name=name)
    )

    async def record(rest: str, request: Request, caller: CurrentCaller) -> dict[str, Any]:
        identity = {header: request.headers[header] for header in (IDENTITY_HEADER, SIGNATURE_HEADER)}
        return {"service": name, "role": caller.role.value, "identity": identity}

    app.add_api_route("/v1/{rest:path}", record, methods=["GET", "POST", "DELETE"])
    return app


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def services() -> AsyncIterator[dict[str, RunningServer]]:
    running = {name: await serve(recording_service(name)) for name in ("catalog", "billing")}
    yield running
    for server in running.values():
        await server.stop()


async def capture(gateway: RunningServer, method: str, path: str) -> dict[str, str]:
    """The identity headers the gateway sent with one request (as the service received them)."""
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        response = await client.request(method, path, headers=ADMIN_KEY)
    assert response.status_code == 200, response.text
    identity: dict[str, str] = response.json()["identity"]
    return identity


async def replay(service: RunningServer, method: str, target: str, identity: dict[str, str]) -> httpx.Response:
    async with httpx.AsyncClient(base_url=service.base_url) as client:
        return await client.request(method, target, headers=identity)


def refusal(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    assert response.headers["content-type"] == "application/problem+json"
    detail: str = response.json()["detail"]
    return detail


@pytest.mark.parametrize(("made_for", "replayed_to"), [("catalog", "billing"), ("billing", "catalog")])
async def test_an_identity_captured_on_one_service_is_refused_by_another_and_on_another_request(
    start_gateway: StartGateway, services: dict[str, RunningServer], made_for: str, replayed_to: str
) -> None:
    gateway = await start_gateway(catalog_url=services["catalog"].base_url, billing_url=services["billing"].base_url)
    target = "/v1/products/p-1?as_of=2024-06-01"
    identity = await capture(gateway, "GET", f"/api/v1/{made_for}/products/p-1?as_of=2024-06-01")
    own = services[made_for]

    # The very request it was made for passes (within its 30 s); nothing else does.
    assert (await replay(own, "GET", target, identity)).status_code == 200
    elsewhere = await replay(services[replayed_to], "GET", target, identity)
    assert f"made for the {made_for} service, not {replayed_to}" in refusal(elsewhere)
    other_method = await replay(own, "DELETE", target, identity)
    assert "made for a GET request, not DELETE" in refusal(other_method)
    for other_target in ("/v1/products/p-2?as_of=2024-06-01", "/v1/products/p-1?as_of=2024-06-02", "/v1/products/p-1"):
        assert "another path or query" in refusal(await replay(own, "GET", other_target, identity)), other_target


async def test_the_gateway_signs_the_path_the_service_receives_after_the_prefix_rewrite(
    start_gateway: StartGateway, services: dict[str, RunningServer]
) -> None:
    gateway = await start_gateway(catalog_url=services["catalog"].base_url, billing_url=services["billing"].base_url)
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        encoded = await client.post("/api/v1/billing/notes/a%20b", params={"q": "x/y z"}, headers=ADMIN_KEY)
        catalog = await client.delete("/api/v1/catalog/products/p-9", headers=ADMIN_KEY)
    assert (encoded.status_code, encoded.json()["service"]) == (200, "billing")
    assert (catalog.status_code, catalog.json()["service"]) == (200, "catalog")
