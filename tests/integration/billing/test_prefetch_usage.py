"""`invoice_inputs.prefetch` reads a chunk's usage over its `billed_in` range only (through the database's
`UsageStore.aggregates_of`), by index on PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import insert, text

from billing.adapters.invoice_inputs import prefetch
from billing.adapters.usage_aggregates import USAGE_OF_CHUNK_SQL
from billing.adapters.usage_store import usage_store_for
from billing.main import MIGRATIONS_DIR
from billing.models import UsageAggregateRow
from bss.db import create_engine, packed, session_factory
from bss.migrations import upgrade_to_head
from tests.harness.databases import DatabaseFactory, backend_name

pytestmark = pytest.mark.asyncio(loop_scope="session")

JAN, FEB, MAR, APR = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1)


def _row(subscription_id: str, billed_in: date, sku: str, total: str) -> dict[str, object]:
    return {
        "subscription_id": subscription_id,
        "billed_in": billed_in,
        "period": billed_in,
        "sku": sku,
        "customer_id": "3f2d8c1e-5b7a-4e0f-9c61-0a8b7d6e5f41",
        "day": billed_in,
        "reseller_id": "9b1f0c3a-2d4e-4f60-8a7b-1c2d3e4f5a6b",
        "total": Decimal(total),
        "peak": Decimal(total),
        "last_value": Decimal(total),
        "last_at": datetime(billed_in.year, billed_in.month, 2, tzinfo=UTC),
        "readings": 1,
    }


async def test_prefetch_reads_the_usage_billed_after_the_chunks_floor_and_up_to_the_period(
    databases: DatabaseFactory,
) -> None:
    url = await databases.create("prefetch")
    engine = create_engine(url, pool_size=1)
    store = usage_store_for(url)
    one, two, other = (str(uuid.uuid4()) for _ in range(3))
    rows = [_row(s, month, "SKU-A", str(i)) for i, s in enumerate((one, two)) for month in (JAN, FEB, MAR, APR)]
    rows.append(_row(other, MAR, "SKU-A", "9"))  # not in the chunk
    try:
        await upgrade_to_head(engine, MIGRATIONS_DIR)
        sessions = session_factory(engine)
        async with sessions() as session, session.begin():
            await session.execute(insert(UsageAggregateRow), rows)
        async with sessions() as session:
            floor = await prefetch(session, store, [one, two], set(), MAR, billed_after=JAN)
            everything = await prefetch(session, store, [one, two], set(), MAR)
        assert {s: sorted(r.billed_in for r in floor.usage[s]) for s in (one, two)} == {
            one: [FEB, MAR],
            two: [FEB, MAR],
        }
        assert {s: sorted(r.billed_in for r in everything.usage[s]) for s in (one, two)} == {
            one: [JAN, FEB, MAR],
            two: [JAN, FEB, MAR],
        }
        read = floor.usage[one][0]
        assert isinstance(read.subscription_id, str)  # canonical text, not a uuid object
        assert read.subscription_id == one
        assert isinstance(read.total, Decimal)
        assert other not in floor.usage
    finally:
        await engine.dispose()


@pytest.mark.skipif(backend_name() != "postgresql", reason="the plan is PostgreSQL's")
async def test_prefetch_probes_the_primary_key_per_subscription_on_a_table_without_statistics(
    databases: DatabaseFactory,
) -> None:
    """Never analyzed (a bulk load, autovacuum behind), a flattened join was planned as a scan of the table."""
    engine = create_engine(await databases.create("prefetch_plan"), pool_size=1)
    subscriptions = [str(uuid.uuid4()) for _ in range(1_000)]
    rows = [_row(s, month, f"SKU-{k}", "1") for s in subscriptions for month in (FEB, MAR) for k in range(10)]
    try:
        await upgrade_to_head(engine, MIGRATIONS_DIR)
        async with engine.begin() as connection:
            await connection.execute(insert(UsageAggregateRow), rows)
            plan = "\n".join(
                (
                    await connection.execute(
                        text(f"EXPLAIN {USAGE_OF_CHUNK_SQL}"),
                        {"ids": packed(subscriptions[:100]), "after": FEB, "period": MAR},
                    )
                ).scalars()
            )
        assert "pk_usage_aggregates" in plan, plan
        assert "Seq Scan on usage_aggregates" not in plan, plan
    finally:
        await engine.dispose()
