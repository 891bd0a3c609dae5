"""Alembic, the same way in every service: one history per service, async engines, SQLite batch mode.

A service's `migrations/env.py` is two lines: import its metadata, call `run_env(metadata, url)`.
Migrations run at start in the embedded default (on the app's own connection) and with
`python -m <service> migrate` (or `make migrate`) otherwise.
"""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import Connection, MetaData, pool
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from bss.db import create_engine
from bss.exact_numeric import ExactDecimal
from bss.utc_datetime import UtcDateTime


def alembic_config(migrations_dir: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


async def upgrade_to_head(engine: AsyncEngine, migrations_dir: Path, revision: str = "head") -> None:
    """Apply every pending migration on the engine's database (up to `revision`: a benchmark or a test that
    needs the schema as an older release left it)."""
    config = alembic_config(migrations_dir, engine.url.render_as_string(hide_password=False))

    def upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)

    async with engine.begin() as connection:
        await connection.run_sync(upgrade)


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@dataclass(frozen=True, slots=True)
class SchemaRevision:
    """Where a database's schema stands against the migrations this code ships.

    `behind`: the database lacks a migration of this code (its migration has not run yet), so the code must not
    serve on it. `ahead`: the database is at a revision this code does not know, which a newer release's
    migration wrote; expand/contract migrations keep the previous release working on it, so it may serve."""

    current: tuple[str, ...]
    expected: tuple[str, ...]
    state: Literal["current", "behind", "ahead"]

    def as_json(self) -> dict[str, Any]:
        return {"current": _one_or_all(self.current), "expected": _one_or_all(self.expected), "state": self.state}


def _one_or_all(revisions: tuple[str, ...]) -> str | list[str] | None:
    if not revisions:
        return None
    return revisions[0] if len(revisions) == 1 else list(revisions)


@functools.cache
def _scripts(migrations_dir: Path) -> ScriptDirectory:
    """The migration scripts, read once per process (a readiness probe asks every few seconds)."""
    return ScriptDirectory.from_config(alembic_config(migrations_dir, ""))


def code_heads(migrations_dir: Path) -> tuple[str, ...]:
    return tuple(sorted(_scripts(migrations_dir).get_heads()))


def schema_revision(connection: Connection, migrations_dir: Path) -> SchemaRevision:
    """The database's revision against the code's head (a sync function: `connection.run_sync` it)."""
    scripts = _scripts(migrations_dir)
    current = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
    expected = code_heads(migrations_dir)
    if current and set(expected) <= {ancestor for rev in current for ancestor in _lineage(scripts, rev)}:
        return SchemaRevision(current, expected, "current")
    if any(not _known(scripts, rev) for rev in current):
        return SchemaRevision(current, expected, "ahead")
    return SchemaRevision(current, expected, "behind")


def _known(scripts: ScriptDirectory, revision: str) -> bool:
    try:
        return scripts.get_revision(revision) is not None
    except CommandError:
        return False


def _lineage(scripts: ScriptDirectory, revision: str) -> set[str]:
    """`revision` and every revision below it that this code knows."""
    if not _known(scripts, revision):
        return set()
    return {script.revision for script in scripts.iterate_revisions(revision, "base")}


async def database_schema(engine: AsyncEngine, migrations_dir: Path) -> SchemaRevision:
    async with engine.connect() as connection:
        return await connection.run_sync(schema_revision, migrations_dir)


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    """Autogenerate renders the suite's column types with their import, so new migrations run unedited."""
    if type_ == "type" and isinstance(obj, UtcDateTime | ExactDecimal):
        module = type(obj).__module__
        autogen_context.imports.add(f"import {module}")
        return f"{module}.{type(obj).__name__}()"
    return False


def run_env(metadata: MetaData) -> None:
    """The body of every service's `env.py`."""
    from alembic import context

    def configure_and_run(connection: Connection) -> None:
        context.configure(
            connection=connection,
            target_metadata=metadata,
            render_as_batch=connection.dialect.name == "sqlite",
            compare_type=True,
            render_item=render_item,
        )
        with context.begin_transaction():
            context.run_migrations()

    if context.is_offline_mode():
        context.configure(
            url=context.config.get_main_option("sqlalchemy.url"),
            target_metadata=metadata,
            literal_binds=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        return

    connection = context.config.attributes.get("connection")
    if connection is not None:
        configure_and_run(connection)
        return

    url = context.config.get_main_option("sqlalchemy.url") or ""

    async def run_async() -> None:
        engine = create_engine(url) if url.startswith("sqlite") else create_async_engine(url, poolclass=pool.NullPool)
        async with engine.begin() as conn:
            await conn.run_sync(configure_and_run)
        await engine.dispose()

    asyncio.run(run_async())
