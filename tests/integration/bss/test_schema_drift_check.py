"""The schema-drift check compares CHECK constraints, which Alembic's autogenerate ignores: a list of allowed values
changed in the models without its migration fails it, on SQLite and on PostgreSQL."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
from sqlalchemy import CheckConstraint, Column, Integer, MetaData, String, Table
from sqlalchemy.ext.asyncio import AsyncEngine

from bss.db import create_engine, new_metadata, sql_in_list
from bss.throwaway_databases import ThrowawayDatabases
from tests.harness.databases import BOTH_BACKENDS, postgres_server_url
from tests.harness.schema_drift import check_constraint_drift, normalized_sql

MIGRATED = ("sum", "max")


def models(values: tuple[str, ...], name: str = "aggregation_known") -> MetaData:
    metadata = new_metadata()
    Table(
        "skus",
        metadata,
        Column("sku", String(20), primary_key=True),
        Column("aggregation", String(10)),
        Column("weight", Integer),
        CheckConstraint(sql_in_list("aggregation", values), name=name),
        CheckConstraint("weight BETWEEN 0 AND 3", name="weight_range"),
    )
    return metadata


@asynccontextmanager
async def migrated_and_scratch(backend: str, tmp_path: Path) -> AsyncIterator[tuple[AsyncEngine, AsyncEngine]]:
    """A database holding the `MIGRATED` schema, and an empty one for the models."""
    server = postgres_server_url() if backend == "postgresql" else None
    databases = ThrowawayDatabases(server, prefix="bss_test", tmp_dir=tmp_path)
    migrated = create_engine(await databases.create("drift_migrated"), pool_size=2)
    scratch = create_engine(await databases.create("drift_models"), pool_size=2)
    try:
        async with migrated.begin() as connection:
            await connection.run_sync(models(MIGRATED).create_all)
        yield migrated, scratch
    finally:
        await migrated.dispose()
        await scratch.dispose()
        await databases.drop_all()


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("backend", BOTH_BACKENDS)
async def test_models_with_the_migrated_checks_show_no_drift(backend: str, tmp_path: Path) -> None:
    async with migrated_and_scratch(backend, tmp_path) as (migrated, scratch):
        from_migrations, from_models = await check_constraint_drift(migrated, scratch, models(MIGRATED))
    assert from_migrations == from_models
    assert set(from_models["skus"]) == {"ck_skus_aggregation_known", "ck_skus_weight_range"}


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("backend", BOTH_BACKENDS)
async def test_a_value_added_to_the_models_without_a_migration_is_drift(backend: str, tmp_path: Path) -> None:
    async with migrated_and_scratch(backend, tmp_path) as (migrated, scratch):
        from_migrations, from_models = await check_constraint_drift(migrated, scratch, models((*MIGRATED, "last")))
    assert from_migrations != from_models
    assert from_migrations["skus"]["ck_skus_weight_range"] == from_models["skus"]["ck_skus_weight_range"]


@pytest.mark.asyncio(loop_scope="session")
@pytest.mark.parametrize("backend", BOTH_BACKENDS)
async def test_a_check_renamed_in_the_models_without_a_migration_is_drift(backend: str, tmp_path: Path) -> None:
    async with migrated_and_scratch(backend, tmp_path) as (migrated, scratch):
        models_renamed = models(MIGRATED, name="aggregation_allowed")
        from_migrations, from_models = await check_constraint_drift(migrated, scratch, models_renamed)
    assert set(from_migrations["skus"]) != set(from_models["skus"])


def test_normalized_sql_ignores_whitespace_and_outer_parentheses_only() -> None:
    assert normalized_sql("((a IS NULL)\n   = (b IS NULL))") == "(a IS NULL) = (b IS NULL)"
    assert normalized_sql("(a = 1) OR (b = 2)") == "(a = 1) OR (b = 2)"
