"""Report C (seed 000), the age of the cases still open, from the open-days rollup.

A rollup row counts the open cases opened on one UTC day and sums their opening instants. A day whose cases all fall
in one age bucket is counted from its row; the period's edges and the days an age boundary (now, 1, 3, 7 and 30 days
ago) cuts through are read from the tickets (`ix_tickets_open_opened_at`). The median and p90 need the opening
instants at two ranks each: the days' counts say which day holds a rank, and the index gives its instant.

The figures are those each database's direct query gave: PostgreSQL averaged and took percentiles of the opening
instants (as seconds since 1970) and subtracted them from now; SQLite computed each case's age first.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any

from sqlalchemy import Numeric, cast, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from support_sla.adapters.report_rollups import epoch_seconds
from support_sla.adapters.report_stats_rows import Period, is_postgresql, rounded, whole_cells
from support_sla.domain.report_cells import cell_span, day_of, interpolate, percentile_rank, split_period
from support_sla.domain.report_stats import AGE_BUCKETS
from support_sla.models import ReportOpenDay, Ticket

DAYS = ReportOpenDay.__table__
TICKETS = Ticket.__table__


@dataclass(frozen=True, slots=True)
class _Run:
    """Open cases in time order: a day counted by its row (`day`, `count`), or cases read one by one."""

    start: datetime
    count: int
    day: date | None = None
    instants: tuple[datetime, ...] = ()


async def open_case_ages(session: AsyncSession, period: Period, now: datetime) -> list[dict[str, Any]]:
    """Open cases opened in the period, counted by age bucket, with mean, median and p90 age at `now`."""
    split = split_period(period.start, period.end, "day")
    boundaries = [now - timedelta(seconds=low) for _, low, _ in AGE_BUCKETS]
    days = await _day_rows(session, split)
    cut = {row.day for row in days} & {day_of(boundary) for boundary in boundaries}
    ranges = [(edge.start, edge.end) for edge in split.edges] + [cell_span(day, "day") for day in sorted(cut)]
    instants = await _open_instants(session, ranges)
    counted = [row for row in days if row.day not in cut]
    runs = _runs(counted, instants)
    total = sum(run.count for run in runs)
    result: dict[str, Any] = {"open_cases": total}
    result.update({name: 0 for name, _, _ in AGE_BUCKETS})
    for run in runs:
        for instant, weight in ((run.start, run.count),) if run.day is not None else ((i, 1) for i in run.instants):
            name = _bucket(instant, now)
            if name is not None:
                result[name] += weight
    epoch_sum = sum((Decimal(row.opened_epoch_sum) for row in counted), Decimal(0)) + sum(
        (epoch_seconds(instant) for instant in instants), Decimal(0)
    )
    mean, median, p90 = await _ages(session, runs, total, epoch_sum, now)
    result.update(mean_age_seconds=rounded(mean), median_age_seconds=rounded(median), p90_age_seconds=rounded(p90))
    return [result]


def _bucket(instant: datetime, now: datetime) -> str | None:
    """The age bucket of a case opened at `instant` (none for one opened after `now`), as the direct query had
    it: newer than `now - high`, at or before `now - low`."""
    for name, low, high in AGE_BUCKETS:
        if instant <= now - timedelta(seconds=low) and (high is None or instant > now - timedelta(seconds=high)):
            return name
    return None


async def _day_rows(session: AsyncSession, split: Any) -> list[Any]:
    whole = whole_cells(split, DAYS.c.day)
    if whole is None:
        return []
    query = select(DAYS.c.day, DAYS.c.open_cases, DAYS.c.opened_epoch_sum).where(*whole).order_by(DAYS.c.day)
    return list((await session.execute(query)).all())


async def _open_instants(session: AsyncSession, ranges: Sequence[tuple[datetime, datetime]]) -> list[datetime]:
    """The opening instants of the open cases in the ranges (one range scan of the open cases' index each)."""
    found: list[datetime] = []
    for start, end in ranges:
        query = select(TICKETS.c.opened_at).where(
            TICKETS.c.resolved_at.is_(None), TICKETS.c.opened_at >= start, TICKETS.c.opened_at < end
        )
        found += (await session.scalars(query)).all()
    return sorted(found)


def _runs(days: Sequence[Any], instants: Sequence[datetime]) -> list[_Run]:
    """The counted days and the cases read one by one, in time order (they never share a day)."""
    runs = [_Run(cell_span(row.day, "day")[0], int(row.open_cases), day=row.day) for row in days]
    starts = [run.start for run in runs]
    loose: dict[int, list[datetime]] = {}
    for instant in instants:
        loose.setdefault(bisect_left(starts, instant), []).append(instant)
    merged: list[_Run] = []
    for index in range(len(runs) + 1):
        if index in loose:
            found = tuple(loose[index])
            merged.append(_Run(found[0], len(found), instants=found))
        if index < len(runs):
            merged.append(runs[index])
    return merged


async def _ages(
    session: AsyncSession, runs: Sequence[_Run], total: int, epoch_sum: Decimal, now: datetime
) -> tuple[float | None, float | None, float | None]:
    if not total:
        return None, None, None
    opened = _Ranks(session, runs)
    if is_postgresql(session):
        # avg() of the instants as PostgreSQL divides numerics, then percentile_cont of the instants (p90 of the
        # age is the 10th percentile of the instant), each subtracted from now
        mean_instant = (
            await session.execute(select(cast(literal(epoch_sum), Numeric) / cast(literal(total), Numeric)))
        ).scalar_one()
        figures = [float(mean_instant)]
        for fraction in (0.5, 0.1):
            low, high, weight = percentile_rank(total, fraction)
            figures.append(interpolate((await opened.at(low)).timestamp(), (await opened.at(high)).timestamp(), weight))
        return now.timestamp() - figures[0], now.timestamp() - figures[1], now.timestamp() - figures[2]
    mean = float(Fraction(total * epoch_seconds(now) - epoch_sum) / total)
    ages = []
    for fraction in (0.5, 0.9):  # the ages in ascending order are the instants in descending order
        low, high, weight = percentile_rank(total, fraction)
        young, old = await opened.at(total - 1 - low), await opened.at(total - 1 - high)
        ages.append(interpolate((now - young).total_seconds(), (now - old).total_seconds(), weight))
    return mean, ages[0], ages[1]


class _Ranks:
    """The opening instant of the open case at a rank (0-based, in time order)."""

    def __init__(self, session: AsyncSession, runs: Sequence[_Run]) -> None:
        self._session = session
        self._runs = runs
        self._known: dict[int, datetime] = {}

    async def at(self, rank: int) -> datetime:
        if rank not in self._known:
            self._known[rank] = await self._find(rank)
        return self._known[rank]

    async def _find(self, rank: int) -> datetime:
        below = 0
        for run in self._runs:
            if rank < below + run.count:
                if run.day is None:
                    return run.instants[rank - below]
                start, end = cell_span(run.day, "day")
                query = (
                    select(TICKETS.c.opened_at)
                    .where(TICKETS.c.resolved_at.is_(None), TICKETS.c.opened_at >= start, TICKETS.c.opened_at < end)
                    .order_by(TICKETS.c.opened_at)
                    .offset(rank - below)
                    .limit(1)
                )
                found: datetime | None = await self._session.scalar(query)
                assert found is not None, "the open-days rollup counts more cases than the day holds"
                return found
            below += run.count
        raise IndexError(rank)
