"""`UsageStore`: where the usage consumer writes the ledger and counts the aggregates, where both sides look
event ids up, and where invoices and estimates read a group of subscriptions' aggregates. One protocol, one
implementation per database, chosen once at start (`usage_store_for`, in `main.py` and the commands), so the
use cases and the other adapters never ask which database they run on.

- PostgreSQL (ADR 0010): the ledger insert's RETURNING feeds the aggregate merge in ONE statement
  (`usage_aggregates.record_and_count`); ids are looked up with one index probe each, and so are a chunk's
  aggregates (`usage_aggregates.aggregates_by_probes`).
- SQLite, where ExactDecimal is text and never compared in SQL: the ledger insert's RETURNING, then a merge in
  Python (`usage_aggregates.add_to_aggregates`); ids and a chunk's aggregates are looked up with `IN (...)`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Protocol

from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.usage_aggregates import (
    AcceptedUsage,
    Placement,
    add_to_aggregates,
    aggregates_by_probes,
    aggregates_in_list,
    record_and_count,
)
from billing.adapters.usage_ledger import Decided, LedgerEntry, lookup_by_probes, lookup_in_list, record_accepted
from billing.adapters.usage_wire import Usage
from billing.models import UsageAggregateRow


class Placer(Protocol):
    """Where an accepted event counts, from its subscription and its SKU's aggregation rule (the use case's
    `usage_counting._Rules`); each store asks for the form it writes."""

    def placement(self, usage: Usage) -> Placement: ...

    def accepted(self, usage: Usage) -> AcceptedUsage: ...


class UsageStore(Protocol):
    async def lookup(self, session: AsyncSession, event_ids: Iterable[str]) -> dict[str, LedgerEntry]:
        """The ledger entries of the ids that have one."""
        ...

    async def record_and_count(
        self, session: AsyncSession, events: Sequence[Decided], placer: Placer, *, now: datetime
    ) -> set[str]:
        """Write accepted events to the ledger and add the ones written now to the aggregates; returns the ids
        written now (an id already decided is neither written nor counted)."""
        ...

    async def aggregates_of(
        self, session: AsyncSession, subscription_ids: Sequence[str], period: date, billed_after: date | None
    ) -> Iterable[UsageAggregateRow]:
        """The subscriptions' usage aggregates billed on `period`'s invoice or earlier, and after `billed_after`
        (None: from the first)."""
        ...


class PostgresUsageStore:
    async def lookup(self, session: AsyncSession, event_ids: Iterable[str]) -> dict[str, LedgerEntry]:
        return await lookup_by_probes(session, event_ids)

    async def record_and_count(
        self, session: AsyncSession, events: Sequence[Decided], placer: Placer, *, now: datetime
    ) -> set[str]:
        placements = [placer.placement(event.usage) for event in events if event.usage is not None]
        return await record_and_count(session, events, placements, now=now)

    async def aggregates_of(
        self, session: AsyncSession, subscription_ids: Sequence[str], period: date, billed_after: date | None
    ) -> Iterable[UsageAggregateRow]:
        return await aggregates_by_probes(session, subscription_ids, period, billed_after)


class SqliteUsageStore:
    async def lookup(self, session: AsyncSession, event_ids: Iterable[str]) -> dict[str, LedgerEntry]:
        return await lookup_in_list(session, event_ids)

    async def record_and_count(
        self, session: AsyncSession, events: Sequence[Decided], placer: Placer, *, now: datetime
    ) -> set[str]:
        inserted = await record_accepted(session, events, now=now)
        counted = [event.usage for event in events if event.event_id in inserted and event.usage is not None]
        await add_to_aggregates(session, [placer.accepted(usage) for usage in counted])
        return inserted

    async def aggregates_of(
        self, session: AsyncSession, subscription_ids: Sequence[str], period: date, billed_after: date | None
    ) -> Iterable[UsageAggregateRow]:
        return await aggregates_in_list(session, subscription_ids, period, billed_after)


def usage_store_for(database_url: str) -> UsageStore:
    """The store of the database at `database_url`."""
    if make_url(database_url).get_backend_name() == "postgresql":
        return PostgresUsageStore()
    return SqliteUsageStore()
