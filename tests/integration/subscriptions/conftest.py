"""One running subscriptions service per test module, its catalog read model fed through the real broker."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import date

import httpx
import pytest
import pytest_asyncio

from bss.embedded_broker import EmbeddedBroker
from subscriptions.main import create_app
from tests.harness.databases import DatabaseFactory
from tests.harness.identity import GatewayIdentity
from tests.harness.polling import eventually
from tests.harness.services import running, service_settings, wait_ready
from tests.integration.subscriptions.catalog_events import Catalog, catalog_events, publish
from tests.integration.subscriptions.harness import Service


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def catalog() -> Catalog:
    return Catalog()


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def service(
    request: pytest.FixtureRequest, databases: DatabaseFactory, broker: EmbeddedBroker, catalog: Catalog
) -> AsyncIterator[Service]:
    """A module may set `SERVICE_SETTINGS = {...}` to override settings (e.g. a fast trial scheduler)."""
    overrides = {"trial_sweep_interval_s": 3600.0, **getattr(request.module, "SERVICE_SETTINGS", {})}
    settings = await service_settings(
        "subscriptions",
        databases,
        broker,
        catalog_consumer_group=f"subscriptions.catalog.test-{uuid.uuid4().hex[:8]}",
        **overrides,
    )
    async with (
        running(create_app(settings)) as server,  # type: ignore[arg-type]
        httpx.AsyncClient(base_url=server.base_url, auth=GatewayIdentity("subscriptions")) as http,
    ):
        await wait_ready(server.base_url)
        svc = Service(server.base_url, http, broker.bootstrap_servers, settings.database_url)
        await publish(broker.bootstrap_servers, catalog_events(catalog))

        async def learned() -> bool:
            return set(catalog.ids.values()) <= set(await svc.products(date(2024, 2, 1)))

        await eventually(learned, what="the catalog read model to learn the contract products")
        yield svc
