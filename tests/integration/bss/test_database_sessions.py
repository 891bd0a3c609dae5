"""Every PostgreSQL connection of the suite plans statements with their parameter values (no generic plans).

A generic plan is chosen without the values, with the statistics of the moment it is made. The usage ledger's
duplicate check (`event_id = ANY($1)`, thousands of ids), planned generically while the ledger was empty,
stayed a sequential scan comparing every row with every id: 24 s per lookup at 300,000 rows (bss/db.py).
"""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from bss.db import POSTGRES_SESSION_SETTINGS, create_engine
from tests.harness.databases import DatabaseFactory, backend_name

pytestmark = [
    pytest.mark.asyncio(loop_scope="session"),
    pytest.mark.skipif(backend_name() != "postgresql", reason="plan caching is PostgreSQL's"),
]


async def test_every_connection_plans_with_the_values(databases: DatabaseFactory) -> None:
    engine = create_engine(await databases.create("plans"), pool_size=2)
    try:
        for _ in range(3):  # pooled and fresh connections alike
            async with engine.connect() as connection:
                assert await connection.scalar(text("SHOW plan_cache_mode")) == "force_custom_plan"
        assert POSTGRES_SESSION_SETTINGS == {"plan_cache_mode": "force_custom_plan"}
    finally:
        await engine.dispose()


async def test_a_prepared_statement_is_planned_with_its_values_after_many_executions(
    databases: DatabaseFactory,
) -> None:
    engine = create_engine(await databases.create("plans_prepared"), pool_size=1)
    ids = "'{" + ",".join(str(uuid.uuid4()) for _ in range(50)) + "}'"  # EXECUTE takes literals only

    async def plan_after_six_runs(mode: str | None) -> str:
        async with engine.connect() as connection:
            if mode is not None:  # what a connection without the suite's setting may end up with
                await connection.execute(text(f"SET plan_cache_mode = {mode}"))
            await connection.execute(text("PREPARE lookup (varchar[]) AS SELECT id FROM grows WHERE id = ANY($1)"))
            for _ in range(6):
                await connection.execute(text(f"EXECUTE lookup ({ids})"))
            explained = await connection.execute(text(f"EXPLAIN EXECUTE lookup ({ids})"))
            await connection.execute(text("DEALLOCATE lookup"))
            await connection.rollback()
            return "\n".join(explained.scalars())

    try:
        async with engine.begin() as connection:
            await connection.execute(text("CREATE TABLE grows (id varchar(40) PRIMARY KEY)"))
        assert "$1" not in await plan_after_six_runs(None)  # planned with the 50 ids
        assert "$1" in await plan_after_six_runs("force_generic_plan")  # the check can tell
    finally:
        await engine.dispose()
