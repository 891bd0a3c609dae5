"""The usage ledger: every usage event id billing ever decided on, forever (permanent dedup on the event id).

A row is written when an event is *decided*: rejected (by the HTTP intake or the usage consumer), or accepted
and counted (by the usage consumer, in the same transaction as the aggregates, so the ledger is the usage
consumer's inbox). An event accepted over HTTP but not counted yet has no row: it waits in an outbox bundle.
The hot statements take whole batches at once; on PostgreSQL as arrays through `unnest` (one statement,
one round trip, no per-row parameter building), elsewhere as an executemany. `usage_store.py` picks the
statements of the database in use.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import literal_column, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.usage_wire import Usage
from billing.domain.usage_rules import RETRYABLE_REFUSALS, is_final_refusal
from billing.models import UsageEventRow
from bss.db import insert_for, packed, unpacked

_LOOKUP_CHUNK = 5_000
RETRYABLE = tuple(sorted(RETRYABLE_REFUSALS))  # the refusals a resend may overwrite (domain/usage_rules.py)


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """What the ledger knows of an event id."""

    event_id: str
    fingerprint: str
    status: str
    reason_code: str | None

    @property
    def decided(self) -> bool:
        """Whether this id's fate is final (anything but a retryable refusal)."""
        return self.status == "accepted" or is_final_refusal(self.reason_code)


@dataclass(frozen=True, slots=True)
class Decided:
    """An event to write to the ledger: accepted (counted now) or rejected with its reason."""

    event_id: str
    fingerprint: str
    usage: Usage | None
    reason_code: str | None = None
    detail: str | None = None


# One index probe per id (`LATERAL ... LIMIT 1` keeps PostgreSQL from turning it into a join): the ledger only
# grows, and `event_id = ANY(...)` was planned as a parallel scan of the whole ledger (36 ms per 5,000 ids at
# 300,000 rows, growing with it) where the probes take 14 ms and grow with its logarithm.
_LOOKUP = text(
    "SELECT e.event_id, e.fingerprint, e.status, e.reason_code FROM unnest(CAST(:ids AS varchar[])) AS u(id) "
    "CROSS JOIN LATERAL (SELECT event_id, fingerprint, status, reason_code FROM usage_events "
    "WHERE event_id = u.id LIMIT 1) AS e"
)


async def lookup_by_probes(session: AsyncSession, event_ids: Iterable[str]) -> dict[str, LedgerEntry]:
    """The ledger entries of the ids that have one (PostgreSQL: one index probe per id)."""
    ids = sorted(set(event_ids))
    found: dict[str, LedgerEntry] = {}
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        rows = await session.execute(_LOOKUP, {"ids": ids[start : start + _LOOKUP_CHUNK]})
        found.update((row[0], LedgerEntry(*row)) for row in rows)
    return found


async def lookup_in_list(session: AsyncSession, event_ids: Iterable[str]) -> dict[str, LedgerEntry]:
    """The ledger entries of the ids that have one (any database: `event_id IN (...)`)."""
    ids = sorted(set(event_ids))
    found: dict[str, LedgerEntry] = {}
    columns = (UsageEventRow.event_id, UsageEventRow.fingerprint, UsageEventRow.status, UsageEventRow.reason_code)
    for start in range(0, len(ids), _LOOKUP_CHUNK):
        chunk = ids[start : start + _LOOKUP_CHUNK]
        rows = await session.execute(select(*columns).where(UsageEventRow.event_id.in_(chunk)))
        found.update((row[0], LedgerEntry(*row)) for row in rows)
    return found


# Accepted events into the ledger on PostgreSQL, from arrays (`accepted_parameters`; the ones of canonical ids,
# hex fingerprints and decimal quantities `packed` into one string each, cheaper to send), in id order (one lock
# order for concurrent writers sharing ids). A retryable refusal of the same id is overwritten; RETURNING names
# the ids this statement wrote (first writer wins, race-free). `usage_aggregates.record_and_count` runs it as
# the first part of its statement.
ACCEPTED_INSERT = (
    "INSERT INTO usage_events (event_id, fingerprint, status, subscription_id, sku, customer_id, quantity, "
    "measured_at, aggregated, conflicts, received_at) "
    "SELECT e, f, 'accepted', s, k, c, q, m, true, 0, CAST(:now AS timestamptz) FROM unnest("
    f"CAST(:ids AS varchar[]), {unpacked('fps')}, {unpacked('subs', 'uuid')}, CAST(:skus AS varchar[]), "
    f"{unpacked('customers', 'uuid')}, {unpacked('quantities', 'numeric')}, CAST(:measured AS timestamptz[])"
    ") AS t(e, f, s, k, c, q, m) ORDER BY e "
    "ON CONFLICT (event_id) DO UPDATE SET fingerprint = excluded.fingerprint, "
    "status = 'accepted', reason_code = NULL, detail = NULL, subscription_id = excluded.subscription_id, "
    "sku = excluded.sku, customer_id = excluded.customer_id, quantity = excluded.quantity, "
    "measured_at = excluded.measured_at, aggregated = true, received_at = excluded.received_at "
    "WHERE usage_events.reason_code = ANY(CAST(:retryable AS varchar[])) RETURNING event_id"
)


def accepted_parameters(events: Sequence[Decided], *, now: datetime) -> dict[str, Any]:
    """`ACCEPTED_INSERT`'s arrays, one element per event (each id once)."""
    usages = [e.usage for e in events if e.usage is not None]
    assert len(usages) == len(events), "accepted events carry their usage"
    return {
        "now": now,
        "retryable": list(RETRYABLE),
        "ids": [e.event_id for e in events],
        "fps": packed([e.fingerprint for e in events]),
        "subs": packed([u.subscription_id for u in usages]),
        "skus": [u.sku for u in usages],  # any text: sent as an array
        "customers": packed([u.customer_id for u in usages]),
        "quantities": packed([str(u.quantity) for u in usages]),  # exact text: cheaper to send than binary numeric
        "measured": [u.measured_at for u in usages],
    }


async def record_accepted(session: AsyncSession, events: Sequence[Decided], *, now: datetime) -> set[str]:
    """Write accepted, counted events (SQLite's path; PostgreSQL's is `usage_aggregates.record_and_count`);
    returns the ids this statement wrote (first writer wins, race-free)."""
    events = sorted(events, key=lambda e: e.event_id)  # one lock order for concurrent writers sharing ids
    return await _insert_rows(session, [_row(e, now) for e in events]) if events else set()


async def record_rejected(session: AsyncSession, events: Sequence[Decided], *, now: datetime) -> set[str]:
    """Write rejected events with their reasons; returns the ids this statement wrote."""
    events = sorted(events, key=lambda e: e.event_id)
    if not events:
        return set()
    return await _insert_rows(session, [_row(e, now) for e in events])


async def _insert_rows(session: AsyncSession, rows: list[dict[str, Any]]) -> set[str]:
    """Insert, or overwrite a retryable refusal of the same id; returns the ids written."""
    table = UsageEventRow.__table__
    insert = insert_for(session)(table)
    replaced = (
        *("fingerprint", "status", "reason_code", "detail", "subscription_id", "sku", "customer_id"),
        *("quantity", "measured_at", "aggregated", "received_at"),
    )
    statement = insert.on_conflict_do_update(
        index_elements=["event_id"],
        set_={name: insert.excluded[name] for name in replaced},
        # Rendered inline (our own constants): executemany cannot expand an IN list.
        where=or_(*(table.c.reason_code == literal_column(f"'{reason}'") for reason in RETRYABLE)),
    ).returning(table.c.event_id)
    # executemany with RETURNING ("insertmanyvalues"): one compiled statement, batched by the driver layer.
    return set((await session.execute(statement, rows)).scalars())


def _row(event: Decided, now: datetime) -> dict[str, Any]:
    usage = event.usage
    return {
        "event_id": event.event_id,
        "fingerprint": event.fingerprint,
        "status": "accepted" if event.reason_code is None else "rejected",
        "reason_code": event.reason_code,
        "detail": event.detail[:4000] if event.detail else None,
        "subscription_id": usage.subscription_id if usage else None,
        "sku": usage.sku if usage else None,
        "customer_id": usage.customer_id if usage else None,
        "quantity": usage.quantity if usage else None,
        "measured_at": usage.measured_at if usage else None,
        "aggregated": event.reason_code is None,
        "billed_in": None,
        "conflicts": 0,
        "received_at": now,
    }


async def count_conflicts(session: AsyncSession, event_ids: Sequence[str]) -> None:
    """Note, on each id's row, one more later version received with another payload."""
    for event_id in sorted(event_ids):
        await session.execute(
            update(UsageEventRow)
            .where(UsageEventRow.event_id == event_id)
            .values(conflicts=UsageEventRow.conflicts + 1)
        )
