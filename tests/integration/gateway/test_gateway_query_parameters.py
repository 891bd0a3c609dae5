"""The gateway's own operations (keys, me, health, docs, the storefront pages) refuse a query parameter they do not
declare with a 400 problem naming it, as the services do; declared ones still work, the static files still take a
cache-busting `?v=`, and the proxy forwards the query string untouched (the service decides)."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from bss.problems import PROBLEM_JSON, TYPE_BASE
from tests.harness.services import RunningServer
from tests.integration.gateway.upstreams import ADMIN_KEY

pytestmark = pytest.mark.asyncio(loop_scope="session")

OWN_OPERATIONS = [
    "/gateway/v1/keys",
    "/gateway/v1/me",
    "/healthz",
    "/readyz",
    "/metrics",
    "/docs",
    "/openapi.json",
    "/storefront",
    "/storefront/admin",
]


def refused(response: httpx.Response, unknown: str) -> dict[str, Any]:
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == PROBLEM_JSON
    problem: dict[str, Any] = response.json()
    assert problem["type"] == TYPE_BASE + "unknown-query-parameter"
    assert [error["field"] for error in problem["errors"]] == [unknown]
    assert repr(unknown) in problem["detail"]
    return problem


@pytest.mark.parametrize("path", OWN_OPERATIONS)
async def test_every_own_operation_refuses_an_unknown_parameter(gateway: RunningServer, path: str) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        problem = refused(await client.get(path, params={"pag": "2"}), "pag")
        assert problem["instance"] == path
        assert (await client.get(path)).status_code in (200, 503)  # readyz: subscriptions is down in these tests


async def test_the_key_list_takes_its_declared_parameters_and_names_them(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        listed = await client.get("/gateway/v1/keys", params={"include_revoked": "true", "limit": "1"})
        problem = refused(await client.get("/gateway/v1/keys", params={"revoked": "true"}), "revoked")
    assert listed.status_code == 200, listed.text
    assert problem["accepted"] == ["cursor", "include_revoked", "limit"]
    assert problem["detail"].endswith("it takes cursor, include_revoked, limit.")


async def test_a_page_head_request_refuses_an_unknown_parameter_too(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as anonymous:
        assert (await anonymous.head("/storefront", params={"utm_source": "mail"})).status_code == 400
        assert (await anonymous.head("/storefront")).status_code == 200


async def test_static_files_still_take_a_cache_busting_parameter(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as anonymous:
        for asset in ("/storefront/static/storefront.css", "/storefront/static/reseller.js"):
            assert (await anonymous.get(asset, params={"v": "2"})).status_code == 200, asset


async def test_the_proxy_forwards_the_query_string_to_the_service(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url, headers=ADMIN_KEY) as client:
        answer = await client.get("/api/v1/catalog/echo/x", params={"anything": "1", "pag": "2"})
    assert answer.status_code == 200  # the echo upstream is no suite service: it takes anything
    assert answer.headers["x-seen-query"] == "anything=1&pag=2"


async def test_the_merged_document_names_the_400_of_the_gateways_own_operations(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as anonymous:
        document = (await anonymous.get("/openapi.json")).json()
    for path in ("/gateway/v1/keys", "/gateway/v1/me", "/healthz"):
        answer = document["paths"][path]["get"]["responses"]["400"]
        assert "query parameter the operation does not declare" in answer["description"].lower()
