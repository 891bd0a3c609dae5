"""Every service starts on its own database and the real broker, migrates, and reports its health."""

from __future__ import annotations

import httpx
import pytest
from sqlalchemy import text

from bss.db import create_engine
from bss.embedded_broker import EmbeddedBroker
from bss.migrations import upgrade_to_head
from tests.harness.databases import DatabaseFactory, backend_name
from tests.harness.schema_drift import autogenerate_diff, check_constraint_drift
from tests.harness.services import SERVICE_MODULES, running, service_factory, service_settings, wait_ready

pytestmark = pytest.mark.asyncio(loop_scope="session")

SERVICES = sorted(SERVICE_MODULES)


@pytest.mark.parametrize("name", SERVICES)
async def test_migrations_upgrade_an_empty_database_to_match_the_models(name: str, databases: DatabaseFactory) -> None:
    """No pending autogenerate diff, and the same CHECK constraints (names and SQL), which autogenerate ignores."""
    import importlib

    package = SERVICE_MODULES[name][0].split(".")[0]
    main = importlib.import_module(f"{package}.main")
    models = importlib.import_module(f"{package}.models")
    engine = create_engine(await databases.create(f"migrate_{package}"))
    scratch = create_engine(await databases.create(f"models_{package}"))
    try:
        await upgrade_to_head(engine, main.MIGRATIONS_DIR)
        async with engine.connect() as connection:
            assert await connection.run_sync(autogenerate_diff, models.Base.metadata) == []
        from_migrations, from_models = await check_constraint_drift(engine, scratch, models.Base.metadata)
        assert from_migrations == from_models
    finally:
        await engine.dispose()
        await scratch.dispose()


@pytest.mark.broker
@pytest.mark.parametrize("name", SERVICES)
async def test_service_answers_health_readiness_and_metrics(
    name: str, databases: DatabaseFactory, broker: EmbeddedBroker
) -> None:
    create_app, _ = service_factory(name)
    app = create_app(await service_settings(name, databases, broker))
    async with running(app) as server, httpx.AsyncClient(base_url=server.base_url) as client:
        assert (await client.get("/healthz")).json() == {"status": "ok", "service": name}
        readiness = await wait_ready(server.base_url)
        assert readiness["checks"] == {"database": "ok", "broker": "ok", "schema": "ok"}
        metrics = await client.get("/metrics")
        assert "bss_http_requests_total" in metrics.text
        assert 'bss_http_requests_total{method="GET",service="' + name + '",status="200"}' in metrics.text


@pytest.mark.broker
async def test_service_starts_while_broker_is_down_and_becomes_ready_when_it_comes(
    databases: DatabaseFactory, own_broker: EmbeddedBroker
) -> None:
    create_app, _ = service_factory("catalog")
    settings = await service_settings("catalog", databases, own_broker, outbox_max_backoff_s=0.5)
    await own_broker.astop()
    async with running(create_app(settings)) as server, httpx.AsyncClient(base_url=server.base_url) as client:
        assert (await client.get("/healthz")).status_code == 200
        not_ready = await client.get("/readyz")
        assert not_ready.status_code == 503
        assert not_ready.json()["checks"]["broker"] != "ok"
        await own_broker.astart()
        assert (await wait_ready(server.base_url))["status"] == "ready"


@pytest.mark.broker
async def test_unknown_route_answers_problem_json_with_request_id(
    databases: DatabaseFactory, broker: EmbeddedBroker
) -> None:
    create_app, _ = service_factory("billing")
    app = create_app(await service_settings("billing", databases, broker))
    async with running(app) as server, httpx.AsyncClient(base_url=server.base_url) as client:
        response = await client.get("/v1/nowhere", headers={"X-Request-ID": "req-123"})
        assert response.status_code == 404
        assert response.headers["content-type"] == "application/problem+json"
        assert response.headers["x-request-id"] == "req-123"
        assert response.json()["request_id"] == "req-123"


@pytest.mark.skipif(backend_name() != "postgresql", reason="TOAST compression is PostgreSQL's")
async def test_billing_outbox_bundles_are_compressed_with_lz4_on_postgresql(databases: DatabaseFactory) -> None:
    from billing.main import MIGRATIONS_DIR

    engine = create_engine(await databases.create("migrate_billing_lz4"))
    try:
        await upgrade_to_head(engine, MIGRATIONS_DIR)
        async with engine.connect() as connection:
            method = await connection.scalar(
                text(
                    "SELECT attcompression FROM pg_attribute "
                    "WHERE attrelid = 'outbox'::regclass AND attname = 'payload'"
                )
            )
            built_with_lz4 = await connection.scalar(
                text(
                    "SELECT count(*) FROM pg_settings "
                    "WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)"
                )
            )
        assert bytes(method or b"").decode().strip("\x00") == ("l" if built_with_lz4 else "")
    finally:
        await engine.dispose()
