"""Every JSON endpoint, on every service and on the gateway's admin API, refuses a hostile body with a 400
problem+json saying what is wrong, and writes nothing (`bss.api.json_body`)."""

from __future__ import annotations

import importlib
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import MetaData, func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from bss.embedded_broker import EmbeddedBroker, free_port
from bss.problems import PROBLEM_JSON, TYPE_BASE
from gateway.main import Gateway
from gateway.models import Base as GatewayBase
from gateway.settings import DEV_BOOTSTRAP_ADMIN_KEY, GatewaySettings
from tests.harness.databases import DatabaseFactory
from tests.harness.hostile_json import HostileBody, each_hostile_body
from tests.harness.identity import ADMIN, SUPPORT_AGENT, SYSTEM, GatewayIdentity, headers_for
from tests.harness.services import service_factory, service_settings

pytestmark = pytest.mark.asyncio(loop_scope="session")


@dataclass
class App:
    """An app under test: its client, and the engine and tables that a refused request must leave as they were."""

    http: httpx.AsyncClient
    engine: AsyncEngine
    metadata: MetaData

    async def rows(self) -> dict[str, int]:
        async with self.engine.connect() as connection:
            return {
                table.name: int((await connection.execute(select(func.count()).select_from(table))).scalar_one())
                for table in self.metadata.sorted_tables
            }


@pytest.fixture(scope="module")
def quiet_broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """A broker of this module alone: no other test's events reach these services' consumers, so every row
    count below can only change through the requests sent here."""
    instance = EmbeddedBroker(port=free_port(), log_path=tmp_path_factory.mktemp("broker") / "broker.log")
    instance.start()
    yield instance
    instance.stop()


@asynccontextmanager
async def serving(app: Any, lifespan_of: Any, **client: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with (
        lifespan_of.router.lifespan_context(lifespan_of),
        httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test", **client) as http,
    ):
        yield http


@asynccontextmanager
async def started(name: str, databases: DatabaseFactory, broker: EmbeddedBroker) -> AsyncIterator[App]:
    create_app, _ = service_factory(name)
    app = create_app(await service_settings(name, databases, broker, **_QUIET.get(name, {})))
    async with serving(app, app, auth=GatewayIdentity(name)) as http:
        yield App(http, app.state.runtime.engine, _metadata(name))


_QUIET: dict[str, dict[str, Any]] = {
    "billing": {"month_close_scheduler": False},
    "support-sla": {"scheduler_enabled": False},
}


def _metadata(name: str) -> MetaData:
    module = {"support-sla": "support_sla.models"}.get(name, f"{name}.models")
    metadata: MetaData = importlib.import_module(module).Base.metadata
    return metadata


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def catalog(databases: DatabaseFactory, quiet_broker: EmbeddedBroker) -> AsyncIterator[App]:
    async with started("catalog", databases, quiet_broker) as app:
        yield app


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def subscriptions(databases: DatabaseFactory, quiet_broker: EmbeddedBroker) -> AsyncIterator[App]:
    async with started("subscriptions", databases, quiet_broker) as app:
        yield app


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def billing(databases: DatabaseFactory, quiet_broker: EmbeddedBroker) -> AsyncIterator[App]:
    async with started("billing", databases, quiet_broker) as app:
        yield app


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def support(databases: DatabaseFactory, quiet_broker: EmbeddedBroker) -> AsyncIterator[App]:
    async with started("support-sla", databases, quiet_broker) as app:
        yield app


@pytest_asyncio.fixture(loop_scope="session", scope="module")
async def gateway(databases: DatabaseFactory) -> AsyncIterator[App]:
    nowhere = f"http://127.0.0.1:{free_port()}"  # the admin API proxies nothing
    settings = GatewaySettings(
        database_url=await databases.create("gateway"),
        catalog_url=nowhere,
        subscriptions_url=nowhere,
        billing_url=nowhere,
        support_url=nowhere,
        log_json=False,
        access_log=False,
    )
    instance = Gateway(settings)
    async with serving(instance, instance.app, headers={"X-API-Key": DEV_BOOTSTRAP_ADMIN_KEY}) as http:
        yield App(http, instance.engine, GatewayBase.metadata)


async def assert_refused(app: App, method: str, path: str, hostile: HostileBody, **headers: str) -> None:
    before = await app.rows()
    response = await app.http.request(
        method, path, content=hostile.body, headers={"content-type": "application/json", **headers}
    )
    assert response.status_code == 400, response.text[:500]
    assert response.headers["content-type"] == PROBLEM_JSON
    problem = response.json()
    assert problem["type"] == TYPE_BASE + "invalid-json"
    assert problem["status"] == 400
    assert hostile.detail in problem["detail"]
    assert await app.rows() == before


@each_hostile_body
async def test_catalog_refuses_a_hostile_json_body_with_400_and_writes_nothing(
    catalog: App, hostile: HostileBody
) -> None:
    await assert_refused(catalog, "POST", "/v1/products", hostile, **headers_for(ADMIN))


@each_hostile_body
async def test_subscriptions_refuses_a_hostile_json_body_with_400_and_writes_nothing(
    subscriptions: App, hostile: HostileBody
) -> None:
    await assert_refused(subscriptions, "POST", "/v1/resellers", hostile, **headers_for(ADMIN))


@each_hostile_body
@pytest.mark.parametrize(
    ("method", "path", "caller"),
    [("POST", "/v1/usage", SYSTEM), ("PUT", "/v1/acronis/mappings", ADMIN)],
    ids=["usage-intake", "acronis-mappings"],
)
async def test_billing_refuses_a_hostile_json_body_with_400_and_writes_nothing(
    billing: App, hostile: HostileBody, method: str, path: str, caller: Any
) -> None:
    await assert_refused(billing, method, path, hostile, **headers_for(caller))


@each_hostile_body
async def test_support_refuses_a_hostile_json_body_with_400_and_writes_nothing(
    support: App, hostile: HostileBody
) -> None:
    await assert_refused(support, "POST", "/v1/tickets", hostile, **headers_for(SUPPORT_AGENT))


@each_hostile_body
async def test_gateway_admin_api_refuses_a_hostile_json_body_with_400_and_writes_nothing(
    gateway: App, hostile: HostileBody
) -> None:
    await assert_refused(gateway, "POST", "/gateway/v1/keys", hostile)


async def test_a_json_body_within_the_limits_still_reaches_validation(gateway: App) -> None:
    response = await gateway.http.post("/gateway/v1/keys", json={"name": "ok", "role": "superuser"})
    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["role"]


async def test_billing_usage_reads_a_bare_nan_quantity_to_refuse_that_event_alone(billing: App) -> None:
    event = (
        b'{"event_id": "0190c3a5-9a00-7000-8000-00000000nan1", "reseller_id": "0190c3a1-2001-7000-8000-000000000201",'
        b' "subscription_id": "0190c3a1-3001-7000-8000-000000000301",'
        b' "customer_id": "3f2d8c1e-5b7a-4e0f-9c61-0a8b7d6e5f41", "sku": "SKU-BACKUP-STORAGE-GB",'
        b' "quantity": NaN, "measured_at": "2024-02-03T00:00:00Z", "source": "acronis-usage-collector"}'
    )
    response = await billing.http.post(
        "/v1/usage",
        content=b'{"events": [' + event + b"]}",
        headers={"content-type": "application/json", **headers_for(SYSTEM)},
    )
    assert response.status_code == 200, response.text
    (result,) = response.json()["results"]
    assert (result["status"], result["reason_code"], result["field"]) == ("rejected", "invalid_payload", "quantity")
