"""A service is not ready while its database's schema is behind the code's migrations, so a roll-out waits for
its migration Job; `wait-for-schema` (the pods' init container) waits for the same thing. Real databases,
migrated to an older revision of catalog's history (SQLite, and PostgreSQL with DATABASE_URL)."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text

from bss.db import create_engine
from bss.embedded_broker import EmbeddedBroker
from bss.migrations import code_heads, database_schema, upgrade_to_head
from catalog.main import MIGRATIONS_DIR
from tests.harness.databases import DatabaseFactory
from tests.harness.services import running, service_factory, service_settings, wait_ready

pytestmark = pytest.mark.asyncio(loop_scope="session")

ROOT = Path(__file__).resolve().parents[3]
OLDER = "0002"  # catalog's revision before its head (0003, the FX pairs)


async def test_a_database_below_the_head_is_behind_at_the_head_current_and_past_it_ahead(
    databases: DatabaseFactory,
) -> None:
    assert code_heads(MIGRATIONS_DIR) == ("0003",), "catalog's head moved: these tests use the one before it"
    engine = create_engine(await databases.create("schema_states"))
    try:
        revision = await database_schema(engine, MIGRATIONS_DIR)
        assert (revision.current, revision.state) == ((), "behind"), "an empty database"
        await upgrade_to_head(engine, MIGRATIONS_DIR, OLDER)
        revision = await database_schema(engine, MIGRATIONS_DIR)
        assert revision.as_json() == {"current": OLDER, "expected": "0003", "state": "behind"}
        await upgrade_to_head(engine, MIGRATIONS_DIR)
        assert (await database_schema(engine, MIGRATIONS_DIR)).state == "current"
        async with engine.begin() as connection:  # what the next release's migration Job leaves
            await connection.execute(text("UPDATE alembic_version SET version_num = '0004_next_release'"))
        revision = await database_schema(engine, MIGRATIONS_DIR)
        assert revision.as_json() == {"current": "0004_next_release", "expected": "0003", "state": "ahead"}
    finally:
        await engine.dispose()


@pytest.mark.broker
async def test_readyz_is_503_naming_both_revisions_until_the_migration_runs(
    databases: DatabaseFactory, broker: EmbeddedBroker
) -> None:
    create_app, _ = service_factory("catalog")
    settings = (await service_settings("catalog", databases, broker)).model_copy(update={"migrate_on_start": False})
    engine = create_engine(settings.database_url)
    try:
        await upgrade_to_head(engine, MIGRATIONS_DIR, OLDER)
        async with running(create_app(settings)) as server, httpx.AsyncClient(base_url=server.base_url) as client:
            for _ in range(50):  # until the broker is connected: then only the schema holds readiness back
                answer = await client.get("/readyz")
                if answer.json()["checks"]["broker"] == "ok":
                    break
                await asyncio.sleep(0.1)
            assert answer.status_code == 503
            body = answer.json()
            assert body["status"] == "not ready"
            assert body["checks"] == {"database": "ok", "broker": "ok", "schema": "behind"}
            assert body["schema"] == {"current": OLDER, "expected": "0003", "state": "behind"}

            await upgrade_to_head(engine, MIGRATIONS_DIR)  # the migration Job runs
            ready = await wait_ready(server.base_url)
            assert ready["checks"]["schema"] == "ok"
            assert ready["schema"] == {"current": "0003", "expected": "0003", "state": "current"}
    finally:
        await engine.dispose()


@pytest.mark.broker
async def test_the_previous_release_stays_ready_on_the_next_releases_schema(
    databases: DatabaseFactory, broker: EmbeddedBroker
) -> None:
    """During a roll-out the old pods keep serving after the Job migrated: expand/contract makes that safe."""
    create_app, _ = service_factory("catalog")
    settings = await service_settings("catalog", databases, broker)
    async with running(create_app(settings)) as server:
        engine = create_engine(settings.database_url)
        try:
            async with engine.begin() as connection:
                await connection.execute(text("UPDATE alembic_version SET version_num = '0004_next_release'"))
        finally:
            await engine.dispose()
        ready = await wait_ready(server.base_url)
        assert ready["schema"]["state"] == "ahead"


def wait_for_schema(database_url: str, tmp_path: Path, timeout_s: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("BSS_", "CATALOG_", "CALF_"))}
    return subprocess.run(
        [sys.executable, "-m", "catalog", "wait-for-schema", "--timeout", timeout_s],
        cwd=tmp_path,
        env={**clean, "PYTHONPATH": str(ROOT), "CATALOG_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_wait_for_schema_gives_up_with_one_line_and_exit_2_while_the_schema_is_behind(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    url = await databases.create("wait_behind")
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine, MIGRATIONS_DIR, OLDER)
    finally:
        await engine.dispose()
    result = await asyncio.to_thread(wait_for_schema, url, tmp_path, "0.5")
    assert result.returncode == 2, result.stdout + result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line == (
        "error: catalog: the database schema is at 0002, this code expects 0003; "
        "waited 0.5 s for the catalog-migrate Job (`migrate`) to run"
    )


async def test_wait_for_schema_returns_once_the_migration_has_run(databases: DatabaseFactory, tmp_path: Path) -> None:
    url = await databases.create("wait_behind_then_migrated")
    engine = create_engine(url)
    try:
        await upgrade_to_head(engine, MIGRATIONS_DIR, OLDER)
        waiting = asyncio.create_task(asyncio.to_thread(wait_for_schema, url, tmp_path, "30"))
        await asyncio.sleep(1.0)
        assert not waiting.done(), "it returned while the schema was behind"
        await upgrade_to_head(engine, MIGRATIONS_DIR)
        result = await asyncio.wait_for(waiting, timeout=40)
    finally:
        await engine.dispose()
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "catalog: database schema is current (0003)"
