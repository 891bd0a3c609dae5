"""A service's background tasks, declared on its `ServiceDefinition`: they start once the database is open and
migrated, a disabled one never runs, and at shutdown they stop in reverse order while the database is still
there (the engine is disposed after them)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from sqlalchemy import MetaData, text

from bss.background import BackgroundTask
from bss.embedded_broker import EmbeddedBroker
from bss.messaging.tables import MessagingTables
from bss.runtime import Runtime
from bss.service_app import ServiceDefinition, create_service_app
from bss.settings import ServiceSettings
from tests.harness.databases import DatabaseFactory
from tests.harness.polling import eventually

pytestmark = [pytest.mark.asyncio(loop_scope="session"), pytest.mark.broker]

ENV = """
from bss.migrations import run_env
from sqlalchemy import MetaData

run_env(MetaData())
"""
BASELINE = """
import sqlalchemy as sa
from alembic import op

from bss.messaging.migration_ops import create_messaging_tables_v1

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_messaging_tables_v1()
    op.create_table("probe", sa.Column("id", sa.Integer, primary_key=True))
    op.execute("INSERT INTO probe (id) VALUES (1), (2)")


def downgrade() -> None:
    op.drop_table("probe")
"""


def _migrations(root: Path) -> Path:
    (root / "versions").mkdir(parents=True)
    (root / "env.py").write_text(ENV)
    (root / "versions" / "0001_baseline.py").write_text(BASELINE)
    return root


async def _probe_rows(runtime: Runtime[ServiceSettings]) -> int:
    async with runtime.sessions() as session:
        return int((await session.execute(text("SELECT count(*) FROM probe"))).scalar_one())


async def test_background_tasks_run_on_the_migrated_database_and_stop_in_reverse_order(
    databases: DatabaseFactory, broker: EmbeddedBroker, tmp_path: Path
) -> None:
    journal: list[str] = []
    started = asyncio.Event()

    def background(runtime: Runtime[ServiceSettings]) -> list[BackgroundTask]:
        def loop(name: str) -> BackgroundTask:
            async def run() -> None:
                journal.append(f"start {name}: {await _probe_rows(runtime)} rows")
                if len(journal) == 2:
                    started.set()
                try:
                    await asyncio.Event().wait()
                except asyncio.CancelledError:
                    journal.append(f"stop {name}: {await _probe_rows(runtime)} rows")
                    raise

            return BackgroundTask(name, run)

        disabled = BackgroundTask("disabled", loop("disabled").run, enabled=False)
        return [loop("first"), disabled, loop("second")]

    settings = ServiceSettings(
        database_url=await databases.create("background"),
        kafka_bootstrap_servers=broker.bootstrap_servers,
        migrate_on_start=True,
        log_json=False,
    )
    metadata = MetaData()
    app = create_service_app(
        ServiceDefinition(
            name="background-test",
            title="Background tasks",
            description="",
            settings=settings,
            metadata=metadata,
            tables=MessagingTables.define(metadata),
            migrations_dir=_migrations(tmp_path / "migrations"),
            background=background,
        )
    )
    async with app.router.lifespan_context(app):
        runtime = app.state.runtime
        async with asyncio.timeout(10):
            await started.wait()

        async def connected() -> bool:  # a shutdown while the broker is still connecting waits out a timeout
            return bool(runtime.broker_connected)

        await eventually(connected, timeout_s=10, what="the broker connection")
        running = runtime.tasks
        assert [task.get_name() for task in running] == ["first", "second"]
    assert sorted(journal[:2]) == ["start first: 2 rows", "start second: 2 rows"]  # they start side by side
    assert journal[2:] == ["stop second: 2 rows", "stop first: 2 rows"]
    assert all(task.done() for task in running)
