"""The whole suite for end-to-end tests: four services and the gateway on real sockets, the real broker.

Each service gets a fresh database (SQLite, or PostgreSQL with DATABASE_URL); the gateway routes to them and
authenticates with its bootstrap admin key. Tests talk to the gateway only, as a storefront, an admin or a
reseller would.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio

from bss.embedded_broker import EmbeddedBroker, free_port
from gateway.main import create_app as create_gateway
from gateway.server import gateway_protocol
from gateway.settings import GatewaySettings
from tests.harness.databases import DatabaseFactory
from tests.harness.services import RunningServer, serve, service_factory, service_settings, wait_ready

ADMIN_KEY = "e2e-bootstrap-admin-key-for-the-suite-tests"
GATEWAY_PREFIX = {
    "catalog": "catalog",
    "subscriptions": "subscriptions",
    "billing": "billing",
    "support-sla": "support",
}


@dataclass
class Suite:
    gateway: RunningServer
    services: dict[str, RunningServer]

    def client(self, api_key: str | None = None) -> httpx.AsyncClient:
        headers = {"X-API-Key": api_key} if api_key else {}
        return httpx.AsyncClient(base_url=self.gateway.base_url, headers=headers, timeout=30)

    def admin(self) -> httpx.AsyncClient:
        return self.client(ADMIN_KEY)

    async def key_for(self, role: str, tenant_id: str | None = None) -> str:
        """A new API key, created through the gateway's admin API."""
        body: dict[str, Any] = {"name": f"e2e {role} {tenant_id or ''}".strip(), "role": role}
        if tenant_id:
            body["tenant_id"] = tenant_id
        async with self.admin() as admin:
            response = await admin.post("/gateway/v1/keys", json=body)
        assert response.status_code == 201, response.text
        return str(response.json()["token"])


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def suite(databases: DatabaseFactory, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Suite]:
    # A broker of its own: fresh consumer groups read topics from the start, and history left by other test
    # modules (thousands of catalog events) would make the outcome depend on the order tests run in.
    broker = EmbeddedBroker(port=free_port(), log_path=tmp_path_factory.mktemp("e2e-broker") / "broker.log")
    await broker.astart()
    services: dict[str, RunningServer] = {}
    try:
        for name in GATEWAY_PREFIX:
            create_app, _ = service_factory(name)
            services[name] = await serve(create_app(await service_settings(name, databases, broker)))
        await asyncio.gather(*(wait_ready(server.base_url) for server in services.values()))
        gateway_settings = GatewaySettings(
            database_url=await databases.create("gateway"),
            bootstrap_admin_key=ADMIN_KEY,
            log_json=False,
            access_log=False,
            **{f"{GATEWAY_PREFIX[name]}_url": server.base_url for name, server in services.items()},
        )
        gateway = await serve(
            create_gateway(gateway_settings), http=gateway_protocol(gateway_settings.connection_limits())
        )
        yield Suite(gateway=gateway, services=services)
        await gateway.stop()
    finally:
        for server in services.values():
            await server.stop()
        await broker.astop()
