"""Reports D and E (seed 000) from the duration-bucket rollups: time to first reply, resolution time by severity.

A rollup row sums one UTC day and one duration bucket (`domain/report_cells.py`). The counts, sums and attainment
add up the rows of the period's whole days, plus the tickets of its edges (parts of a day). A percentile needs two
values by rank only: the buckets' counts, in duration order, say which bucket holds each rank, and only that
bucket's durations are read and sorted, so a report reads a few thousand durations instead of every ticket's.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from support_sla.adapters.report_stats_rows import Period, in_edges, stats_row, whole_cells
from support_sla.domain.report_cells import (
    NO_DURATION,
    PeriodSplit,
    duration_bucket,
    interpolate,
    percentile_rank,
    split_period,
)
from support_sla.models import ReportFirstResponseBucket, ReportResolutionBucket, Ticket

PERCENTILES = (0.5, 0.9)


@dataclass(frozen=True, slots=True)
class Measure:
    """A duration the tickets carry, its rollup, and the group the report shows it by (None: one row)."""

    rollup: Any
    group: str | None
    instant: Any  # the ticket column whose UTC day is the rollup's day
    seconds: Any
    met: Any


TICKETS = Ticket.__table__
FIRST_RESPONSE = Measure(
    ReportFirstResponseBucket.__table__,
    None,
    TICKETS.c.opened_at,
    TICKETS.c.first_response_seconds,
    TICKETS.c.first_response_met,
)
RESOLUTION = Measure(
    ReportResolutionBucket.__table__,
    "severity",
    TICKETS.c.resolved_at,
    TICKETS.c.resolution_seconds,
    TICKETS.c.resolution_met,
)

Sums = dict[int, list[int]]
"""Per bucket: cases, seconds, met."""


@dataclass
class _Group:
    sums: Sums
    edge_seconds: list[int]


async def duration_stats(session: AsyncSession, period: Period, measure: Measure) -> list[dict[str, Any]]:
    """Per group (in order): cases, and count, mean, median and p90 of the duration with its attainment."""
    split = split_period(period.start, period.end, "day")
    groups: dict[Any, _Group] = defaultdict(lambda: _Group(defaultdict(lambda: [0, 0, 0]), []))
    await _add_whole_days(session, split, measure, groups)
    await _add_edges(session, split, measure, groups)
    names = [] if measure.group is None else [measure.group]
    rows = []
    for key in sorted(groups):
        sums = groups[key].sums
        cases = sum(s[0] for s in sums.values())
        count = sum(s[0] for bucket, s in sums.items() if bucket != NO_DURATION)
        seconds = sum(s[1] for s in sums.values())
        met = sum(s[2] for s in sums.values())
        median, p90 = await _percentiles(session, split, measure, key, groups[key], count)
        shown = [] if measure.group is None else [key]
        rows.append(stats_row(names, shown, cases, count, seconds / count if count else None, median, p90, met))
    return rows


def _group_column(measure: Measure) -> list[Any]:
    return [] if measure.group is None else [measure.rollup.c[measure.group]]


async def _add_whole_days(session: AsyncSession, split: PeriodSplit, measure: Measure, groups: Any) -> None:
    whole = whole_cells(split, measure.rollup.c.day)
    if whole is None:
        return
    rollup, grouped = measure.rollup, _group_column(measure)
    query = (
        select(
            *grouped, rollup.c.bucket, func.sum(rollup.c.cases), func.sum(rollup.c.seconds_sum), func.sum(rollup.c.met)
        )
        .where(*whole)
        .group_by(*grouped, rollup.c.bucket)
    )
    for row in await session.execute(query):
        key = row[0] if grouped else None
        sums = groups[key].sums[row[-4]]
        for index, value in enumerate(row[-3:]):
            sums[index] += int(value or 0)


async def _add_edges(session: AsyncSession, split: PeriodSplit, measure: Measure, groups: Any) -> None:
    edges = in_edges(split, measure.instant)
    if edges is None:
        return
    grouped = [] if measure.group is None else [TICKETS.c[measure.group]]
    for row in await session.execute(select(*grouped, measure.seconds, measure.met).where(edges)):
        key = row[0] if grouped else None
        seconds, met = row[-2], row[-1]
        group = groups[key]
        sums = group.sums[duration_bucket(seconds)]
        sums[0] += 1
        sums[1] += seconds or 0
        sums[2] += met is True
        if seconds is not None:
            group.edge_seconds.append(seconds)


async def _percentiles(
    session: AsyncSession, split: PeriodSplit, measure: Measure, key: Any, group: _Group, count: int
) -> list[float | None]:
    """Median and p90 (percentile_cont): the bucket of each rank from the counts, then that bucket's durations."""
    if not count:
        return [None for _ in PERCENTILES]
    ranks = [percentile_rank(count, fraction) for fraction in PERCENTILES]
    located = _locate(group.sums, {rank for low, high, _ in ranks for rank in (low, high)})
    durations = await _bucket_durations(session, split, measure, key, group, {bucket for bucket, _ in located.values()})

    def at(rank: int) -> int:
        bucket, offset = located[rank]
        return durations[bucket][offset]

    return [interpolate(at(low), at(high), weight) for low, high, weight in ranks]


def _locate(sums: Sums, ranks: set[int]) -> dict[int, tuple[int, int]]:
    """For each rank (0-based, durations in ascending order): its bucket and its offset within the bucket."""
    located: dict[int, tuple[int, int]] = {}
    below = 0
    for bucket in sorted(b for b in sums if b != NO_DURATION):
        cases = sums[bucket][0]
        for rank in ranks:
            if below <= rank < below + cases:
                located[rank] = (bucket, rank - below)
        below += cases
    return located


async def _bucket_durations(
    session: AsyncSession, split: PeriodSplit, measure: Measure, key: Any, group: _Group, buckets: set[int]
) -> dict[int, list[int]]:
    """The durations of a group in the given buckets over the whole period, each bucket's sorted."""
    found: dict[int, list[int]] = {bucket: [] for bucket in buckets}
    for seconds in group.edge_seconds:
        bucket = duration_bucket(seconds)
        if bucket in found:
            found[bucket].append(seconds)
    whole = whole_cells(split, measure.rollup.c.day)
    if whole is not None:
        rollup = measure.rollup
        query = select(rollup.c.bucket, rollup.c.seconds).where(*whole, rollup.c.bucket.in_(sorted(buckets)))
        if measure.group is not None:
            query = query.where(rollup.c[measure.group] == key)
        for bucket, seconds in await session.execute(query):
            found[bucket].extend(seconds)
    return {bucket: sorted(values) for bucket, values in found.items()}
