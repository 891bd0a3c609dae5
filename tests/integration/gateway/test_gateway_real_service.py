"""The gateway in front of the real catalog service: the service accepts the identity the gateway signs."""

from __future__ import annotations

import httpx
import pytest

from bss.embedded_broker import EmbeddedBroker
from tests.harness.databases import DatabaseFactory
from tests.harness.identity import ADMIN, signed_headers
from tests.harness.services import running, service_factory, service_settings, wait_ready
from tests.integration.gateway.conftest import StartGateway
from tests.integration.gateway.upstreams import ADMIN_KEY, create_key

pytestmark = pytest.mark.asyncio(loop_scope="session")


@pytest.mark.broker
async def test_the_catalog_serves_its_storefront_to_anonymous_callers_and_the_service_role_checks_hold(
    start_gateway: StartGateway, databases: DatabaseFactory, broker: EmbeddedBroker
) -> None:
    create_app, _ = service_factory("catalog")
    app = create_app(await service_settings("catalog", databases, broker))
    async with running(app) as catalog:
        await wait_ready(catalog.base_url)
        gateway = await start_gateway(catalog_url=catalog.base_url)
        async with httpx.AsyncClient(base_url=gateway.base_url) as client:
            anonymous = await client.get("/api/v1/catalog/storefront/catalog")
            admin = await client.get("/api/v1/catalog/groups", headers=ADMIN_KEY)
            reseller = {"X-API-Key": await create_key(client, "reseller", "r-1")}
            refused_by_service = await client.get("/api/v1/catalog/groups", headers=reseller)
            forged = signed_headers(ADMIN, audience="catalog", method="GET", target="/v1/groups")
            spoofed = await client.get("/api/v1/catalog/groups", headers=forged)
    assert anonymous.status_code == 200, (
        anonymous.text
    )  # the service accepts the storefront identity the gateway signed
    assert admin.status_code == 200, admin.text
    assert refused_by_service.status_code == 403  # the gateway's policy lets it through; the service says no
    assert refused_by_service.headers["content-type"] == "application/problem+json"
    assert spoofed.status_code == 401  # not public: credentials needed, the spoofed headers count for nothing
