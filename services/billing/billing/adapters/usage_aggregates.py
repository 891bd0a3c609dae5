"""Counting accepted usage into the aggregates, each event once, merged with the stored rows.

The caller holds the subscriptions' rows locked (PostgreSQL `FOR UPDATE`, in sorted order), so the merge
cannot race another batch or a month close. On PostgreSQL, `record_and_count` writes the ledger and merges
the aggregates in ONE statement over arrays (NUMERIC adds and compares exactly; grouped and sorted in SQL). On
SQLite, where ExactDecimal is text and never compared in SQL, `add_to_aggregates` pre-aggregates the batch,
reads the stored rows, merges in Python with `Decimal`, then upserts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.usage_ledger import CLEARED_ON_COUNTING_SQL, RETRYABLE, LedgerEntry
from billing.adapters.usage_wire import Usage
from billing.domain.aggregation import LatestValue
from billing.domain.usage_rules import billed_in, bucket_day
from billing.models import UsageAggregateRow
from bss.db import insert_for, packed, unpacked
from bss.events.contracts.value_types import Aggregation

Key = tuple[str, date, date, str, str, date]  # subscription, billed_in, period, sku, customer, day


@dataclass(frozen=True, slots=True)
class AcceptedUsage:
    subscription_id: str
    reseller_id: str
    customer_id: str
    sku: str
    rule: Aggregation
    quantity: Decimal
    measured_at: datetime
    closed_through: date | None
    period: date  # of `measured_at`: worked out once by the caller


@dataclass
class _Bucket:
    reseller_id: str
    total: Decimal
    peak: Decimal
    last: LatestValue
    readings: int

    def merge(self, other: _Bucket) -> None:
        self.total += other.total
        self.peak = max(self.peak, other.peak)
        self.last = self.last.later_of(other.last)
        self.readings += other.readings


def _key(usage: AcceptedUsage) -> Key:
    period = usage.period
    return (
        usage.subscription_id,
        billed_in(period, usage.closed_through),
        period,
        usage.sku,
        usage.customer_id,
        bucket_day(usage.rule, usage.measured_at),
    )


def pre_aggregate(usages: Sequence[AcceptedUsage]) -> dict[Key, _Bucket]:
    """One bucket per aggregate key for the whole batch (the database then sees each key once)."""
    buckets: dict[Key, _Bucket] = {}
    for usage in usages:
        key = _key(usage)
        quantity, measured_at = usage.quantity, usage.measured_at
        bucket = buckets.get(key)
        if bucket is None:
            buckets[key] = _Bucket(usage.reseller_id, quantity, quantity, LatestValue(measured_at, quantity), 1)
            continue
        bucket.total += quantity  # what `_Bucket.merge` does, without a bucket per reading
        bucket.peak = max(bucket.peak, quantity)
        last = bucket.last
        if measured_at > last.measured_at or (measured_at == last.measured_at and quantity > last.value):
            bucket.last = LatestValue(measured_at, quantity)
        bucket.readings += 1
    return buckets


async def add_to_aggregates(session: AsyncSession, usages: Sequence[AcceptedUsage]) -> int:
    """Add a batch of accepted usage to the stored aggregates; returns how many aggregate rows were written."""
    buckets = pre_aggregate(usages)
    if not buckets:
        return 0
    for key, stored in (await _stored(session, list(buckets))).items():
        stored.merge(buckets[key])
        buckets[key] = stored
    rows = [_row(key, bucket) for key, bucket in sorted(buckets.items())]
    insert = insert_for(session)(UsageAggregateRow.__table__)
    names = ("reseller_id", "total", "peak", "last_value", "last_at", "readings")
    statement = insert.on_conflict_do_update(
        index_elements=["subscription_id", "billed_in", "period", "sku", "customer_id", "day"],
        set_={name: insert.excluded[name] for name in names},
    )
    for start in range(0, len(rows), 2000):
        await session.execute(statement, rows[start : start + 2000])
    return len(rows)


async def _stored(session: AsyncSession, keys: list[Key]) -> dict[Key, _Bucket]:
    subscriptions = sorted({key[0] for key in keys})
    periods = sorted({key[1] for key in keys})
    wanted = set(keys)
    found: dict[Key, _Bucket] = {}
    query = select(UsageAggregateRow).where(
        UsageAggregateRow.subscription_id.in_(subscriptions),
        UsageAggregateRow.billed_in.in_(periods),
        UsageAggregateRow.sku.in_(sorted({key[3] for key in keys})),
        UsageAggregateRow.customer_id.in_(sorted({key[4] for key in keys})),
    )
    for row in (await session.execute(query)).scalars():
        key = (row.subscription_id, row.billed_in, row.period, row.sku, row.customer_id, row.day)
        if key in wanted:
            found[key] = _Bucket(
                row.reseller_id, row.total, row.peak, LatestValue(row.last_at, row.last_value), row.readings
            )
    return found


def _row(key: Key, bucket: _Bucket) -> dict[str, Any]:
    subscription_id, billed, period, sku, customer_id, day = key
    return {
        "subscription_id": subscription_id,
        "billed_in": billed,
        "period": period,
        "sku": sku,
        "customer_id": customer_id,
        "day": day,
        "reseller_id": bucket.reseller_id,
        "total": bucket.total,
        "peak": bucket.peak,
        "last_value": bucket.last.value,
        "last_at": bucket.last.measured_at,
        "readings": bucket.readings,
    }


_COLUMNS = (
    "subscription_id, billed_in, period, sku, customer_id, day, reseller_id, total, peak, last_value, last_at, readings"
)
# The same merge as `_Bucket.merge`: totals add, peaks take the larger, `last` takes the later measurement (the
# larger value on a tie), readings add. Keys arrive sorted, so concurrent writers lock rows in one order.
_MERGE_ON_CONFLICT = (
    "ON CONFLICT (subscription_id, billed_in, period, sku, customer_id, day) DO UPDATE SET "
    "total = usage_aggregates.total + excluded.total, "
    "peak = GREATEST(usage_aggregates.peak, excluded.peak), "
    "last_value = CASE WHEN (excluded.last_at, excluded.last_value) > "
    "(usage_aggregates.last_at, usage_aggregates.last_value) THEN excluded.last_value "
    "ELSE usage_aggregates.last_value END, "
    "last_at = GREATEST(usage_aggregates.last_at, excluded.last_at), "
    "readings = usage_aggregates.readings + excluded.readings"
)
# The ledger insert and the aggregate merge in one statement (PostgreSQL, ADR 0010, 0022). The batch arrives as
# `packed` strings, one per column (asyncpg spends 0.2-0.75 us of client CPU on each element of an array
# parameter: 0.75 for a timestamp; a packed string 0.03-0.05), with each distinct SKU and bucket (billed_in,
# period, day) sent once and named by its index. The ledger keeps a counted event's key, fingerprint and time; a
# retryable refusal of the same key is overwritten and cleared; RETURNING names the keys this statement wrote
# (first writer wins, race-free), and only their readings are grouped per aggregate key (as `pre_aggregate`
# does: sum, max, the latest reading with the larger value on a tie, count) and merged, keys sorted. The
# statement answers the keys it did NOT write (already decided: usually none), each with what the ledger held at
# the statement's start (one probe per such key; nothing when a concurrent writer committed it since), so nothing
# comes back per counted event and the consumer needs no second statement to compare resends.
_RECORD_AND_COUNT = text(
    "WITH input AS MATERIALIZED (SELECT * FROM unnest("
    f"{unpacked('keys', 'uuid')}, {unpacked('fingerprints', 'bigint')}, {unpacked('subscriptions', 'uuid')}, "
    f"{unpacked('buckets', 'int')}, {unpacked('skus', 'int')}, {unpacked('customers', 'uuid')}, "
    f"{unpacked('resellers')}, {unpacked('quantities', 'numeric')}, {unpacked('micros', 'bigint')}"
    ") AS t(e, f, s, b, k, c, r, q, mu)), "
    "new AS (INSERT INTO usage_events (event_key, fingerprint, received_at) "
    "SELECT e, f, CAST(:now AS timestamptz) FROM input ORDER BY e "
    "ON CONFLICT (event_key) DO UPDATE SET fingerprint = excluded.fingerprint, received_at = excluded.received_at, "
    f"{CLEARED_ON_COUNTING_SQL} "
    "WHERE usage_events.reason_code = ANY(CAST(:retryable AS varchar[])) RETURNING event_key), "
    f"merged AS (INSERT INTO usage_aggregates ({_COLUMNS}) "
    "SELECT s, (CAST(:billed AS date[]))[b], (CAST(:periods AS date[]))[b], (CAST(:sku_codes AS varchar[]))[k], c, "
    "(CAST(:days AS date[]))[b], CAST(min(r) AS uuid), sum(q), max(q), (array_agg(q ORDER BY mu DESC, q DESC))[1], "
    "timestamptz 'epoch' + max(mu) * interval '1 microsecond', count(*) "
    "FROM input JOIN new ON new.event_key = input.e "
    f"GROUP BY s, b, k, c ORDER BY s, b, k, c {_MERGE_ON_CONFLICT}) "
    "SELECT CAST(i.e AS text), l.fingerprint, l.reason_code FROM (SELECT e FROM input WHERE NOT EXISTS "
    "(SELECT 1 FROM new WHERE new.event_key = input.e) OFFSET 0) AS i LEFT JOIN LATERAL (SELECT fingerprint, "
    "reason_code FROM usage_events WHERE event_key = i.e LIMIT 1) AS l ON true"
)
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


class Placement(NamedTuple):
    """Where an accepted event counts: its reseller, the invoice period that bills it, its own period, its day
    bucket (`billed_in` and `bucket_day` of domain/usage_rules.py)."""

    reseller_id: str
    billed_in: date
    period: date
    day: date


async def record_and_count(
    session: AsyncSession,
    keys: Sequence[str],
    fingerprints: Sequence[int],
    usages: Sequence[Usage],
    placements: Sequence[Placement],
    *,
    now: datetime,
) -> dict[str, LedgerEntry | None]:
    """PostgreSQL: write counted events to the ledger (`keys[i]`, `fingerprints[i]`: `usages[i]`, counted where
    `placements[i]` says) and add the ones written now to the aggregates, in one statement. Each key once.
    Returns the keys that were already decided (neither written nor counted now), each with its ledger entry as
    the statement saw it (None: written by a concurrent transaction meanwhile)."""
    if not keys:
        return {}
    buckets: dict[Placement, str] = {}  # (billed_in, period, day) by placement; the reseller rides per event
    bucket_dates: dict[tuple[date, date, date], str] = {}
    skus: dict[str, str] = {}
    bucket_column, sku_column, resellers = [], [], []
    for usage, placement in zip(usages, placements, strict=True):
        index = buckets.get(placement)
        if index is None:
            dates = (placement.billed_in, placement.period, placement.day)
            index = buckets[placement] = bucket_dates.setdefault(dates, str(len(bucket_dates) + 1))
        bucket_column.append(index)
        sku = skus.get(usage.sku)
        if sku is None:
            sku = skus[usage.sku] = str(len(skus) + 1)
        sku_column.append(sku)
        resellers.append(placement.reseller_id)
    parameters = {
        "now": now,
        "retryable": list(RETRYABLE),
        "keys": packed(keys),
        "fingerprints": packed([str(fingerprint) for fingerprint in fingerprints]),
        "subscriptions": packed([u.subscription_id for u in usages]),
        "buckets": packed(bucket_column),
        "skus": packed(sku_column),
        "customers": packed([u.customer_id for u in usages]),
        "resellers": packed(resellers),
        "quantities": packed([str(u.quantity) for u in usages]),  # exact text: cheaper to send than binary numeric
        "micros": packed([str((u.measured_at - _EPOCH) // _MICROSECOND) for u in usages]),  # exact instants
        "sku_codes": list(skus),  # any text: a (short) array
        "billed": [dates[0] for dates in bucket_dates],
        "periods": [dates[1] for dates in bucket_dates],
        "days": [dates[2] for dates in bucket_dates],
    }
    rows = await session.execute(_RECORD_AND_COUNT, parameters)
    return {key: None if fp is None else LedgerEntry(key, fp, reason) for key, fp, reason in rows}


# --- reading a chunk's aggregates (the month close and the estimates) ------------------------------------------


class UsageAggregate(NamedTuple):
    """One aggregate row's values, as invoices and estimates read them: a plain tuple, since a month close reads
    a chunk's thousands of rows at a time, where building ORM objects cost more than the query."""

    subscription_id: str
    billed_in: date
    period: date
    sku: str
    customer_id: str
    day: date
    reseller_id: str
    total: Decimal
    peak: Decimal
    last_value: Decimal
    last_at: datetime
    readings: int


_AGGREGATE_COLUMNS = tuple(UsageAggregateRow.__table__.columns[name] for name in UsageAggregate._fields)
_UUID_COLUMNS = ("subscription_id", "customer_id", "reseller_id")
# PostgreSQL: one index probe per subscription over its `billed_in` range (the primary key leads with both).
# `OFFSET 0` keeps the LATERAL subquery from being flattened into a join, which PostgreSQL planned as a scan of
# the whole table while the aggregates had no statistics yet (after a bulk load, autovacuum behind): 33-36 ms
# per chunk of 100 subscriptions at 200,000 rows, growing with the history kept, against about 1 ms of probes.
# The ids come back as text (PostgreSQL's uuid text is the canonical form) and the statement declares no column
# types: asyncpg already returns `Decimal`, `date` and UTC-aware datetimes, and SQLAlchemy's per-value result
# processors cost 9 us per row where the rest costs 3 (a month close reads 20 rows per invoice).
USAGE_OF_CHUNK_SQL = (
    "SELECT "
    + ", ".join(f"a.{c.name}::text" if c.name in _UUID_COLUMNS else f"a.{c.name}" for c in _AGGREGATE_COLUMNS)
    + f" FROM unnest({unpacked('ids', 'uuid')}) AS u(id) CROSS JOIN LATERAL (SELECT * FROM usage_aggregates "
    "WHERE subscription_id = u.id AND billed_in > :after AND billed_in <= :period OFFSET 0) AS a"
)
_USAGE_OF_CHUNK = text(USAGE_OF_CHUNK_SQL)


async def aggregates_by_probes(
    session: AsyncSession, subscription_ids: Sequence[str], period: date, billed_after: date | None
) -> list[UsageAggregate]:
    """PostgreSQL: the subscriptions' aggregates with `billed_in` in (billed_after, period], probed per
    subscription (`USAGE_OF_CHUNK_SQL`)."""
    parameters = {"ids": packed(subscription_ids), "after": billed_after or date.min, "period": period}
    return [UsageAggregate._make(row) for row in await session.execute(_USAGE_OF_CHUNK, parameters)]


async def aggregates_in_list(
    session: AsyncSession, subscription_ids: Sequence[str], period: date, billed_after: date | None
) -> list[UsageAggregate]:
    """SQLite: the same rows with `IN (...)`."""
    query = select(*_AGGREGATE_COLUMNS).where(
        UsageAggregateRow.subscription_id.in_(subscription_ids), UsageAggregateRow.billed_in <= period
    )
    if billed_after is not None:
        query = query.where(UsageAggregateRow.billed_in > billed_after)
    return [UsageAggregate._make(row) for row in await session.execute(query)]
