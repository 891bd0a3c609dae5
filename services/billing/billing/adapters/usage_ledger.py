"""The usage ledger: every usage event id billing ever decided on, forever (permanent dedup on the event id).

A row is written when an event is *decided*: rejected (by the HTTP intake or the usage consumer), accepted and
counted (by the usage consumer, in the same statement as the aggregates, so the ledger is the usage consumer's
inbox), or dead-lettered (its record set aside, ADR 0013). An event accepted over HTTP but not counted yet has
no row: it waits in an outbox bundle. Rows are keyed by `event_key` (the id itself for a canonical UUID, else a
UUID derived from it: `usage_wire.event_key`); a counted event's row holds only its key, fingerprint and time
(ADR 0022). The hot statements take whole batches at once; on PostgreSQL as `packed` strings split in SQL (one
statement, one round trip, no per-value parameter building), elsewhere as an executemany. `usage_store.py` picks
the statements of the database in use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, literal_column, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.usage_wire import Usage
from billing.domain.usage_rules import RETRYABLE_REFUSALS, is_final_refusal
from billing.models import UsageEventRow
from bss.db import insert_for, packed, unpacked

_LOOKUP_CHUNK = 5_000
RETRYABLE = tuple(sorted(RETRYABLE_REFUSALS))  # the refusals a resend may overwrite (domain/usage_rules.py)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """What the ledger knows of an event key."""

    event_key: str
    fingerprint: int
    reason_code: str | None  # None: accepted and counted

    @property
    def decided(self) -> bool:
        """Whether this id's fate is final (anything but a retryable refusal or a dead letter)."""
        return is_final_refusal(self.reason_code)


@dataclass(frozen=True, slots=True)
class Decided:
    """A refused (or dead-lettered) event to write to the ledger, with what it named."""

    event_id: str
    event_key: str
    fingerprint: int
    usage: Usage | None
    reason_code: str
    detail: str


# One index probe per key (`LATERAL ... LIMIT 1` keeps PostgreSQL from turning it into a join): the ledger only
# grows, and `= ANY(...)` was planned as a parallel scan of the whole ledger (36 ms per 5,000 ids at 300,000
# rows, growing with it) where the probes take 14 ms and grow with its logarithm. Keys come back as text.
_LOOKUP = text(
    f"SELECT CAST(e.event_key AS text), e.fingerprint, e.reason_code FROM unnest({unpacked('keys', 'uuid')}) AS u(k) "
    "CROSS JOIN LATERAL (SELECT event_key, fingerprint, reason_code FROM usage_events "
    "WHERE event_key = u.k LIMIT 1) AS e"
)


async def lookup_by_probes(session: AsyncSession, event_keys: Iterable[str]) -> dict[str, LedgerEntry]:
    """The ledger entries of the keys that have one (PostgreSQL: one index probe per key)."""
    keys = sorted(set(event_keys))
    found: dict[str, LedgerEntry] = {}
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        rows = await session.execute(_LOOKUP, {"keys": packed(keys[start : start + _LOOKUP_CHUNK])})
        found.update((row[0], LedgerEntry(*row)) for row in rows)
    return found


async def lookup_in_list(session: AsyncSession, event_keys: Iterable[str]) -> dict[str, LedgerEntry]:
    """The ledger entries of the keys that have one (any database: `event_key IN (...)`)."""
    keys = sorted(set(event_keys))
    found: dict[str, LedgerEntry] = {}
    columns = (UsageEventRow.event_key, UsageEventRow.fingerprint, UsageEventRow.reason_code)
    for start in range(0, len(keys), _LOOKUP_CHUNK):
        chunk = keys[start : start + _LOOKUP_CHUNK]
        rows = await session.execute(select(*columns).where(UsageEventRow.event_key.in_(chunk)))
        found.update((row[0], LedgerEntry(*row)) for row in rows)
    return found


# What a counted event's row is, and what overwriting a retryable refusal of the same key clears (PostgreSQL's
# `usage_aggregates.record_and_count` and SQLite's `record_accepted` alike).
CLEARED_ON_COUNTING = ("event_id", "reason_code", "detail", "subscription_id", "sku", "customer_id", "quantity")
CLEARED_ON_COUNTING_SQL = ", ".join(f"{name} = NULL" for name in (*CLEARED_ON_COUNTING, "measured_at"))


async def record_accepted(session: AsyncSession, counted: Sequence[tuple[str, int]], *, now: datetime) -> set[str]:
    """Write counted events as (key, fingerprint) (SQLite's path; PostgreSQL's is `usage_aggregates.record_and_count`);
    returns the keys this statement wrote (first writer wins, race-free)."""
    if not counted:
        return set()
    table = UsageEventRow.__table__
    insert = insert_for(session)(table)
    cleared = {name: None for name in (*CLEARED_ON_COUNTING, "measured_at")}
    statement = insert.on_conflict_do_update(
        index_elements=["event_key"],
        set_={"fingerprint": insert.excluded.fingerprint, "received_at": insert.excluded.received_at, **cleared},
        where=_retryable(table),
    ).returning(table.c.event_key)
    rows = [{"event_key": key, "fingerprint": fp, "received_at": now} for key, fp in sorted(counted)]
    return set((await session.execute(statement, rows)).scalars())


async def record_rejected(session: AsyncSession, events: Sequence[Decided], *, now: datetime) -> set[str]:
    """Write refused (or dead-lettered) events with their reasons; returns the keys this statement wrote (a key
    already decided keeps its fate; a retryable refusal is overwritten)."""
    events = sorted(events, key=lambda e: e.event_key)  # one lock order for concurrent writers sharing ids
    if not events:
        return set()
    table = UsageEventRow.__table__
    insert = insert_for(session)(table)
    replaced = ("fingerprint", "received_at", "event_id", *CLEARED_ON_COUNTING[1:], "measured_at")
    statement = insert.on_conflict_do_update(
        index_elements=["event_key"],
        set_={name: insert.excluded[name] for name in replaced},
        where=_retryable(table),
    ).returning(table.c.event_key)
    # executemany with RETURNING ("insertmanyvalues"): one compiled statement, batched by the driver layer.
    return set((await session.execute(statement, [_row(e, now) for e in events])).scalars())


def _retryable(table: Any) -> Any:
    # Rendered inline (our own constants): executemany cannot expand an IN list.
    return or_(*(table.c.reason_code == literal_column(f"'{reason}'") for reason in RETRYABLE))


def _row(event: Decided, now: datetime) -> dict[str, Any]:
    usage = event.usage
    return {
        "event_key": event.event_key,
        "fingerprint": event.fingerprint,
        "received_at": now,
        "event_id": None if event.event_key == event.event_id else event.event_id,
        "reason_code": event.reason_code,
        "detail": event.detail[:4000],
        "subscription_id": usage.subscription_id if usage else None,
        "sku": usage.sku if usage else None,
        "customer_id": usage.customer_id if usage else None,
        "quantity": usage.quantity if usage else None,
        "measured_at": usage.measured_at if usage else None,
    }


async def count_conflicts(session: AsyncSession, event_keys: Sequence[str]) -> None:
    """Note, on each key's row, one more later version received with another payload."""
    for event_key in sorted(event_keys):
        await session.execute(
            update(UsageEventRow)
            .where(UsageEventRow.event_key == event_key)
            .values(conflicts=func.coalesce(UsageEventRow.conflicts, 0) + 1)
        )
