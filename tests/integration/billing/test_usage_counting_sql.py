"""Counting accepted usage through the real database gives exactly the Python merge of every reading, once.

On PostgreSQL the usage consumer writes the ledger and merges the aggregates in ONE statement, grouped in SQL
(`record_and_count`); on SQLite in two steps (`record_accepted`, then `add_to_aggregates`). Both must equal
merging the readings one by one with `_Bucket.merge` (sum, peak, the latest reading with the larger value on
a tie, count), across batches, and an id seen before must count nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import NamedTuple

import pytest
import pytest_asyncio
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from billing.adapters.usage_aggregates import (
    AcceptedUsage,
    Key,
    Placement,
    _Bucket,
    _key,
    add_to_aggregates,
    record_and_count,
)
from billing.adapters.usage_ledger import record_accepted
from billing.adapters.usage_wire import Usage
from billing.domain.aggregation import LatestValue
from billing.domain.usage_rules import billed_in, bucket_day
from billing.main import MIGRATIONS_DIR
from billing.models import UsageAggregateRow, UsageEventRow
from bss.calendar_months import period_of
from bss.db import create_engine, session_factory
from bss.events.contracts.value_types import Aggregation
from bss.migrations import upgrade_to_head
from tests.harness.databases import DatabaseFactory

pytestmark = pytest.mark.asyncio(loop_scope="session")

SUB = "00000000-0000-4000-8000-000000000001"
RESELLER = "00000000-0000-4000-8000-0000000000aa"
CUSTOMERS = ("00000000-0000-4000-8000-0000000000c1", "00000000-0000-4000-8000-0000000000c2")
START = datetime(2024, 2, 1, tzinfo=UTC)
RULES: dict[str, Aggregation] = {"SKU-SUM": "sum", "SKU-AVG": "average"}
NOW = datetime(2024, 3, 10, tzinfo=UTC)


@pytest_asyncio.fixture(loop_scope="session")
async def engine(databases: DatabaseFactory) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(await databases.create("usage_counting_sql"))
    await upgrade_to_head(engine, MIGRATIONS_DIR)
    try:
        yield engine
    finally:
        await engine.dispose()


class Reading(NamedTuple):
    """A counted event as the usage consumer hands it over: its id (a canonical UUID: its own ledger key),
    fingerprint and usage."""

    event_id: str
    fingerprint: int
    usage: Usage


def reading(n: int, customer: int, sku: str, quantity: str, hours: int, closed_through: date | None = None) -> Reading:
    usage = Usage(
        reseller_id=RESELLER,
        subscription_id=SUB,
        customer_id=CUSTOMERS[customer],
        sku=sku,
        quantity=Decimal(quantity),
        measured_at=START + timedelta(hours=hours),
        source="test",
    )
    return Reading(f"00000000-0000-4000-9000-{n:012d}", usage.fingerprint(), usage)


def accepted(event: Reading, closed_through: date | None) -> AcceptedUsage:
    usage = event.usage
    assert usage is not None
    return AcceptedUsage(
        SUB, RESELLER, usage.customer_id, usage.sku, RULES[usage.sku], usage.quantity, usage.measured_at,
        closed_through, period_of(usage.measured_at),
    )  # fmt: skip


async def count(session: AsyncSession, events: Sequence[Reading], closed_through: date | None) -> set[str]:
    """The usage consumer's path on this database; returns the event keys written now."""
    keys = [event.event_id for event in events]
    fingerprints = [event.fingerprint for event in events]
    if session.get_bind().dialect.name == "postgresql":
        placements = []
        for event in events:
            period = period_of(event.usage.measured_at)
            day = bucket_day(RULES[event.usage.sku], event.usage.measured_at)
            placements.append(Placement(RESELLER, billed_in(period, closed_through), period, day))
        usages = [event.usage for event in events]
        already = await record_and_count(session, keys, fingerprints, usages, placements, now=NOW)
        return set(keys) - set(already)
    written = await record_accepted(session, list(zip(keys, fingerprints, strict=True)), now=NOW)
    await add_to_aggregates(session, [accepted(e, closed_through) for e in events if e.event_id in written])
    return written


def expected_merge(batches: Sequence[tuple[Sequence[Reading], date | None]]) -> dict[Key, _Bucket]:
    """Every reading merged one by one, each id once (the first time it is seen)."""
    seen: set[str] = set()
    buckets: dict[Key, _Bucket] = {}
    for events, closed_through in batches:
        for event in events:
            if event.event_id in seen:
                continue
            seen.add(event.event_id)
            usage = accepted(event, closed_through)
            one = _Bucket(RESELLER, usage.quantity, usage.quantity, LatestValue(usage.measured_at, usage.quantity), 1)
            key = _key(usage)
            if key in buckets:
                buckets[key].merge(one)
            else:
                buckets[key] = one
    return buckets


async def stored(session: AsyncSession) -> dict[Key, _Bucket]:
    rows = (await session.execute(select(UsageAggregateRow).where(UsageAggregateRow.subscription_id == SUB))).scalars()
    return {
        (r.subscription_id, r.billed_in, r.period, r.sku, r.customer_id, r.day): _Bucket(
            r.reseller_id, r.total, r.peak, LatestValue(r.last_at, r.last_value), r.readings
        )
        for r in rows
    }


async def test_counting_equals_merging_each_reading_once_across_batches_ties_days_and_late_usage(
    engine: AsyncEngine,
) -> None:
    first = [
        reading(1, 0, "SKU-SUM", "10.5", 1),
        reading(2, 0, "SKU-SUM", "3", 5),
        reading(3, 0, "SKU-SUM", "7.25", 5),  # the same instant as #2: the larger value is the latest
        reading(4, 1, "SKU-SUM", "0", 2),
        reading(5, 0, "SKU-AVG", "100", 1),
        reading(6, 0, "SKU-AVG", "120", 30),  # the next day: its own bucket
        reading(7, 0, "SKU-AVG", "90", 31),
    ]
    second = [
        reading(3, 0, "SKU-SUM", "7.25", 5),  # seen in the first batch: counts nothing
        reading(8, 0, "SKU-SUM", "1.125", 3),  # earlier than the stored latest: the latest stays
        reading(9, 0, "SKU-SUM", "7.25", 5),  # ties the stored latest: the larger value, unchanged
        reading(10, 1, "SKU-SUM", "2", 40),  # later: the new latest
        reading(11, 0, "SKU-AVG", "80", 30),
    ]
    late = [reading(12, 0, "SKU-SUM", "4", 6), reading(13, 1, "SKU-AVG", "5", 2)]  # February closed: March bills
    batches: list[tuple[list[Reading], date | None]] = [(first, None), (second, None), (late, date(2024, 2, 1))]
    sessions = session_factory(engine)
    written: list[set[str]] = []
    for done, (events, closed_through) in enumerate(batches, start=1):
        async with sessions() as session, session.begin():
            written.append(await count(session, events, closed_through))
        async with sessions() as session:
            assert await stored(session) == expected_merge(batches[:done]), f"after batch {done}"
    assert written[0] == {e.event_id for e in first}
    assert written[1] == {e.event_id for e in second} - {first[2].event_id}
    async with sessions() as session:
        ledger = (await session.execute(select(UsageEventRow.event_key, UsageEventRow.reason_code))).all()
    assert sorted(ledger) == sorted((f"00000000-0000-4000-9000-{n:012d}", None) for n in range(1, 14))


async def test_counting_answers_the_keys_it_did_not_write_with_the_entry_the_ledger_holds(engine: AsyncEngine) -> None:
    sessions = session_factory(engine)
    first = reading(21, 0, "SKU-SUM", "5", 3)
    async with sessions() as session, session.begin():
        assert await count(session, [first], None) == {first.event_id}
    resent = Reading(first.event_id, first.fingerprint ^ 1, first.usage)  # another payload under the same id
    async with sessions() as session, session.begin():
        if session.get_bind().dialect.name == "postgresql":
            period = period_of(first.usage.measured_at)
            placement = Placement(RESELLER, period, period, period)
            already = await record_and_count(
                session, [resent.event_id], [resent.fingerprint], [resent.usage], [placement], now=NOW
            )
            entry = already[resent.event_id]  # what the consumer compares the resend with, without asking again
            assert entry is not None
            assert (entry.fingerprint, entry.reason_code, entry.decided) == (first.fingerprint, None, True)
        else:
            assert await count(session, [resent], None) == set()
    async with sessions() as session:
        assert await stored(session) == expected_merge([([first], None)])  # the resend counted nothing
