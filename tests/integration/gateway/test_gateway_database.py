"""The gateway's own database: migrations match the models; `python -m gateway migrate` applies them."""

from __future__ import annotations

import pytest
from alembic.runtime.migration import MigrationContext

from bss.db import create_engine
from bss.migrations import upgrade_to_head
from gateway.__main__ import migrate
from gateway.main import MIGRATIONS_DIR
from gateway.models import Base
from gateway.settings import GatewaySettings
from tests.harness.databases import DatabaseFactory
from tests.harness.schema_drift import autogenerate_diff, check_constraint_drift

pytestmark = pytest.mark.asyncio(loop_scope="session")


async def test_migrations_upgrade_an_empty_database_to_match_the_models(databases: DatabaseFactory) -> None:
    """No pending autogenerate diff, and the same CHECK constraints (names and SQL), which autogenerate ignores."""
    engine = create_engine(await databases.create("gateway_migrate"))
    scratch = create_engine(await databases.create("gateway_models"))
    try:
        await upgrade_to_head(engine, MIGRATIONS_DIR)
        async with engine.connect() as connection:
            assert await connection.run_sync(autogenerate_diff, Base.metadata) == []
        from_migrations, from_models = await check_constraint_drift(engine, scratch, Base.metadata)
        assert from_migrations == from_models
    finally:
        await engine.dispose()
        await scratch.dispose()


async def test_the_migrate_command_is_idempotent_and_safe_to_run_from_every_replica(
    databases: DatabaseFactory,
) -> None:
    settings = GatewaySettings(database_url=await databases.create("gateway_cmd"))
    await migrate(settings)
    await migrate(settings)  # a second replica's init container: nothing to do, no error
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            revision = await connection.run_sync(lambda c: MigrationContext.configure(c).get_current_revision())
        assert revision == "0001"
    finally:
        await engine.dispose()
