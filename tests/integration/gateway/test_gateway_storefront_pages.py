"""The storefront pages the gateway serves itself, and `/gateway/v1/me`, which they sign in with."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.harness.services import RunningServer
from tests.integration.gateway.upstreams import ADMIN_KEY, create_key

pytestmark = pytest.mark.asyncio(loop_scope="session")

PAGES = {"/storefront": "reseller.js", "/storefront/admin": "admin.js"}


@pytest.mark.parametrize(("path", "script"), PAGES.items())
async def test_a_page_loads_without_credentials_with_a_strict_content_security_policy(
    gateway: RunningServer, path: str, script: str
) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as anonymous:
        page = await anonymous.get(path)
        head = await anonymous.head(path)
        assert page.status_code == head.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert f'src="/storefront/static/{script}"' in page.text
        for asset in re.findall(r'(?:src|href)="(/storefront/static/[^"]+)"', page.text):
            fetched = await anonymous.get(asset)
            assert fetched.status_code == 200, asset


async def test_chart_js_is_served_from_the_gateway_with_its_licence(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as anonymous:
        library = await anonymous.get("/storefront/static/vendor/chart.umd.min.js")
        licence = await anonymous.get("/storefront/static/vendor/chart.js-LICENSE.md")
    assert library.status_code == licence.status_code == 200
    assert "javascript" in library.headers["content-type"]
    assert library.text.startswith("/*!\n * Chart.js v4.6.1")
    assert "MIT License" in licence.text


async def test_me_names_the_role_and_tenant_of_the_key_and_refuses_without_one(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        token = await create_key(client, "reseller", "r-42")
        reseller = await client.get("/gateway/v1/me", headers={"X-API-Key": token})
        admin = await client.get("/gateway/v1/me", headers=ADMIN_KEY)
        anonymous = await client.get("/gateway/v1/me")
        wrong = await client.get("/gateway/v1/me", headers={"X-API-Key": "bss_000000000000_" + "x" * 43})
    assert reseller.status_code == 200
    body = reseller.json()
    assert (body["role"], body["tenant_id"]) == ("reseller", "r-42")
    assert body["subject"].startswith("key:")
    assert token.split("_", 2)[2] not in reseller.text  # never the secret
    assert (admin.json()["role"], admin.json()["tenant_id"]) == ("admin", None)
    for refused in (anonymous, wrong):
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
    assert wrong.json()["detail"] == "The API key is not valid."
