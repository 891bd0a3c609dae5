"""Counting accepted usage into the aggregates: pre-aggregated per batch, merged with the stored rows, upserted.

The caller holds the subscriptions' rows locked (PostgreSQL `FOR UPDATE`, in sorted order), so a
read-merge-write of their aggregate rows cannot race another batch or a month close: the merge happens in
Python with `Decimal` (ExactDecimal columns are never compared in SQL).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.domain.aggregation import Aggregation, LatestValue
from billing.domain.periods import period_of
from billing.domain.usage_rules import billed_in, bucket_day
from billing.models import UsageAggregateRow
from bss.db import insert_for

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
    period = period_of(usage.measured_at)
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
        bucket = _Bucket(
            usage.reseller_id, usage.quantity, usage.quantity, LatestValue(usage.measured_at, usage.quantity), 1
        )
        key = _key(usage)
        if key in buckets:
            buckets[key].merge(bucket)
        else:
            buckets[key] = bucket
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
