"""`UsageStore`: where the usage consumer writes the ledger and counts the aggregates, where both sides look
event ids up, and where invoices and estimates read a group of subscriptions' aggregates. One protocol, one
implementation per database, chosen once at start (`usage_store_for`, in `main.py` and the commands), so the
use cases and the other adapters never ask which database they run on.

- PostgreSQL (ADR 0010, 0022): the ledger insert's RETURNING feeds the aggregate merge in ONE statement
  (`usage_aggregates.record_and_count`); event keys are looked up with one index probe each, and so are a
  chunk's aggregates (`usage_aggregates.aggregates_by_probes`).
- SQLite, where ExactDecimal is text and never compared in SQL: the ledger insert's RETURNING, then a merge in
  Python (`usage_aggregates.add_to_aggregates`); keys and a chunk's aggregates are looked up with `IN (...)`.
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
    UsageAggregate,
    add_to_aggregates,
    aggregates_by_probes,
    aggregates_in_list,
    record_and_count,
)
from billing.adapters.usage_ledger import LedgerEntry, lookup_by_probes, lookup_in_list, record_accepted
from billing.adapters.usage_wire import Usage


class Placer(Protocol):
    """Where an accepted event counts, from its subscription and its SKU's aggregation rule (the use case's
    `usage_counting._Rules`); each store asks for the form it writes."""

    def placement(self, usage: Usage) -> Placement: ...

    def accepted(self, usage: Usage) -> AcceptedUsage: ...


class UsageStore(Protocol):
    async def lookup(self, session: AsyncSession, event_keys: Iterable[str]) -> dict[str, LedgerEntry]:
        """The ledger entries of the event keys that have one."""
        ...

    async def record_and_count(
        self,
        session: AsyncSession,
        keys: Sequence[str],
        fingerprints: Sequence[int],
        usages: Sequence[Usage],
        placer: Placer,
        *,
        now: datetime,
    ) -> dict[str, LedgerEntry | None]:
        """Write accepted events (`keys[i]`, `fingerprints[i]`: `usages[i]`, each key once) to the ledger and add
        the ones written now to the aggregates; returns the keys that were already decided (neither written nor
        counted now), with the entry the ledger holds for each where the store knows it without asking again."""
        ...

    async def aggregates_of(
        self, session: AsyncSession, subscription_ids: Sequence[str], period: date, billed_after: date | None
    ) -> Iterable[UsageAggregate]:
        """The subscriptions' usage aggregates billed on `period`'s invoice or earlier, and after `billed_after`
        (None: from the first)."""
        ...


class PostgresUsageStore:
    async def lookup(self, session: AsyncSession, event_keys: Iterable[str]) -> dict[str, LedgerEntry]:
        return await lookup_by_probes(session, event_keys)

    async def record_and_count(
        self,
        session: AsyncSession,
        keys: Sequence[str],
        fingerprints: Sequence[int],
        usages: Sequence[Usage],
        placer: Placer,
        *,
        now: datetime,
    ) -> dict[str, LedgerEntry | None]:
        placements = [placer.placement(usage) for usage in usages]
        return await record_and_count(session, keys, fingerprints, usages, placements, now=now)

    async def aggregates_of(
        self, session: AsyncSession, subscription_ids: Sequence[str], period: date, billed_after: date | None
    ) -> Iterable[UsageAggregate]:
        return await aggregates_by_probes(session, subscription_ids, period, billed_after)


class SqliteUsageStore:
    async def lookup(self, session: AsyncSession, event_keys: Iterable[str]) -> dict[str, LedgerEntry]:
        return await lookup_in_list(session, event_keys)

    async def record_and_count(
        self,
        session: AsyncSession,
        keys: Sequence[str],
        fingerprints: Sequence[int],
        usages: Sequence[Usage],
        placer: Placer,
        *,
        now: datetime,
    ) -> dict[str, LedgerEntry | None]:
        inserted = await record_accepted(session, list(zip(keys, fingerprints, strict=True)), now=now)
        counted = [usage for key, usage in zip(keys, usages, strict=True) if key in inserted]
        await add_to_aggregates(session, [placer.accepted(usage) for usage in counted])
        return dict.fromkeys(set(keys) - inserted)

    async def aggregates_of(
        self, session: AsyncSession, subscription_ids: Sequence[str], period: date, billed_after: date | None
    ) -> Iterable[UsageAggregate]:
        return await aggregates_in_list(session, subscription_ids, period, billed_after)


def usage_store_for(database_url: str) -> UsageStore:
    """The store of the database at `database_url`."""
    if make_url(database_url).get_backend_name() == "postgresql":
        return PostgresUsageStore()
    return SqliteUsageStore()
