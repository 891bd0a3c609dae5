"""Each role's allowed and refused calls through the real gateway, spoofed identities, the public storefront."""

from __future__ import annotations

import httpx
import pytest

from gateway.settings import SERVICE_NAMES
from tests.harness.identity import ADMIN, signed_headers
from tests.harness.services import RunningServer
from tests.integration.gateway.conftest import StartGateway
from tests.integration.gateway.upstreams import create_key

pytestmark = pytest.mark.asyncio(loop_scope="session")

ALLOWED, REFUSED = 200, 403
# (role, method, path under /api/v1/, expected status)
MATRIX = [
    ("admin", "GET", "subscriptions/subscriptions", ALLOWED),
    ("admin", "POST", "billing/price-lists", ALLOWED),
    ("admin", "DELETE", "catalog/products/p-1", ALLOWED),
    ("admin", "PATCH", "support/tickets/t-1", ALLOWED),
    ("support_agent", "GET", "billing/invoices", ALLOWED),
    ("support_agent", "GET", "subscriptions/subscriptions/s-1", ALLOWED),
    ("support_agent", "POST", "support/tickets", ALLOWED),
    ("support_agent", "POST", "subscriptions/orders", REFUSED),
    ("support_agent", "PATCH", "catalog/products/p-1", REFUSED),
    ("support_agent", "POST", "billing/usage", REFUSED),
    ("reseller", "GET", "catalog/products", ALLOWED),
    ("reseller", "POST", "subscriptions/orders", ALLOWED),
    ("reseller", "GET", "billing/invoices", ALLOWED),
    ("reseller", "POST", "support/tickets", ALLOWED),
    ("reseller", "POST", "billing/invoices", REFUSED),
    ("reseller", "POST", "billing/usage", REFUSED),
    ("reseller", "DELETE", "catalog/products/p-1", REFUSED),
    ("storefront", "GET", "catalog/storefront/groups", ALLOWED),
    ("storefront", "GET", "catalog/products", REFUSED),
    ("storefront", "GET", "catalog/storefronts-admin", REFUSED),
    ("storefront", "POST", "catalog/storefront/groups", REFUSED),
    ("storefront", "GET", "billing/invoices", REFUSED),
    ("system", "POST", "billing/usage", ALLOWED),
    ("system", "POST", "billing/usage/batches", ALLOWED),
    ("system", "GET", "billing/usage/evt-1", ALLOWED),
    ("system", "GET", "billing/invoices", REFUSED),
    ("system", "POST", "billing/invoices", REFUSED),
    ("system", "POST", "subscriptions/orders", REFUSED),
    ("system", "GET", "catalog/storefront/groups", REFUSED),
]


@pytest.fixture
def all_up(echo: RunningServer) -> dict[str, str]:
    return {f"{name}_url": echo.base_url for name in ("catalog", "subscriptions", "billing", "support")}


async def test_each_role_reaches_only_what_the_route_policy_allows(
    start_gateway: StartGateway, all_up: dict[str, str]
) -> None:
    gateway = await start_gateway(**all_up)
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        tokens = {
            role: await create_key(client, role, "r-1" if role == "reseller" else None)
            for role in ("admin", "support_agent", "reseller", "storefront", "system")
        }
        failures = []
        for role, method, path, expected in MATRIX:
            response = await client.request(method, f"/api/v1/{path}", headers={"X-API-Key": tokens[role]}, json={})
            if response.status_code != expected:
                failures.append(f"{role} {method} {path}: {response.status_code}, expected {expected}")
                continue
            if expected == REFUSED:
                assert response.headers["content-type"] == "application/problem+json"
                assert role in response.json()["detail"]
            else:
                caller = response.json()["caller"]
                assert caller["role"] == role, (role, path)
                assert response.json()["audience"] == SERVICE_NAMES[path.partition("/")[0]], path
                assert caller["tenant"] == ("r-1" if role == "reseller" else None)
    assert failures == []


async def test_spoofed_identity_headers_are_stripped_and_replaced_by_the_gateways(
    gateway: RunningServer,
) -> None:
    # A valid admin identity for exactly the request the gateway forwards: it must still count for nothing.
    admin = signed_headers(ADMIN, audience="billing", method="GET", target="/v1/invoices")
    spoofed = {**admin, "X-BSS-Identity-Tenant": "r-2", "x-bss-identity-extra": "admin"}
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        token = await create_key(client, "reseller", "r-1")
        as_reseller = await client.get("/api/v1/billing/invoices", headers={**spoofed, "X-API-Key": token})
        as_anonymous = await client.get("/api/v1/catalog/storefront/groups", headers=spoofed)
        without_key = await client.get("/api/v1/billing/invoices", headers=spoofed)
    seen = as_reseller.json()
    assert seen["caller"] == {"role": "reseller", "subject": seen["caller"]["subject"], "tenant": "r-1"}
    assert (seen["identity_headers"], seen["signature_headers"], seen["other_identity_headers"]) == (1, 1, [])
    assert seen["credentials_forwarded"] is False
    assert as_anonymous.json()["caller"]["role"] == "storefront"
    assert as_anonymous.json()["identity_headers"] == 1
    assert without_key.status_code == 401


async def test_storefront_catalog_reads_need_no_credentials_and_nothing_else_is_public(
    gateway: RunningServer,
) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        public = await client.get("/api/v1/catalog/storefront/groups", params={"currency": "EUR"})
        write = await client.post("/api/v1/catalog/storefront/groups", json={})
        private = await client.get("/api/v1/catalog/products")
        health = await client.get("/healthz")
    assert public.status_code == 200
    assert public.json()["caller"] == {"role": "storefront", "subject": "anonymous-storefront", "tenant": None}
    for refused in (write, private):
        assert refused.status_code == 401
        assert refused.headers["content-type"] == "application/problem+json"
        assert refused.headers["www-authenticate"].startswith("Bearer")
    assert health.status_code == 200


async def test_unknown_and_malformed_keys_are_refused_with_problem_json(gateway: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=gateway.base_url) as client:
        token = await create_key(client, "admin")
        forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")
        answers = [
            await client.get("/api/v1/catalog/products", headers={"X-API-Key": key})
            for key in (forged, "bss_000000000000_" + "A" * 43, "not-a-key", "Bearer")
        ]
        bearer = await client.get("/api/v1/catalog/products", headers={"Authorization": f"Bearer {token}"})
    for answer in answers:
        assert answer.status_code == 401
        assert answer.headers["content-type"] == "application/problem+json"
    assert bearer.status_code == 200
