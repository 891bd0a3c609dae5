"""Alembic, the same way in every service: one history per service, async engines, SQLite batch mode.

A service's `migrations/env.py` is two lines: import its metadata, call `run_env(metadata, url)`.
Migrations run at start in the embedded default (on the app's own connection) and with
`python -m <service> migrate` (or `make migrate`) otherwise.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Literal

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
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


async def upgrade_to_head(engine: AsyncEngine, migrations_dir: Path) -> None:
    """Apply every pending migration on the engine's database."""
    config = alembic_config(migrations_dir, engine.url.render_as_string(hide_password=False))

    def upgrade(connection: Connection) -> None:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")

    async with engine.begin() as connection:
        await connection.run_sync(upgrade)


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


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
