"""Reports A and B (seed 000) from their rollups: resolution time per reseller, and per region and month.

A rollup row whose cell is a whole group (a reseller over all its months; a country in a whole month) gives the
group's figures at once: its sums, and its median and p90 from its sorted resolution times by rank. A period that
holds every ticket reads report A from one row per reseller; another period adds up the reseller-month rows of its
whole months and the tickets of its edges (parts of a month), and takes the percentiles over their resolution times.
Report B's whole months are rows; a month the period takes in part is read from its tickets (`ix_tickets_opened_at`
covers them). PostgreSQL picks values by rank and takes percentiles in SQL; SQLite, the embedded default, in Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ARRAY,
    Float,
    Integer,
    Select,
    case,
    cast,
    func,
    literal,
    select,
    text,
    true,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from support_sla.adapters.report_stats_rows import Period, is_postgresql, stats_row, whole_cells
from support_sla.domain.report_cells import PeriodSplit, interpolate, percentile_rank, split_period
from support_sla.domain.report_stats import percentile
from support_sla.models import ReportCountryMonth, ReportReseller, ReportResellerMonth, Ticket

MONTHS = ReportResellerMonth.__table__
RESELLERS = ReportReseller.__table__
COUNTRY_MONTHS = ReportCountryMonth.__table__
TICKETS = Ticket.__table__
PERCENTILES = (0.5, 0.9)

Figures = tuple[int, int, int, int, float | None, float | None]
"""cases, count (resolved), seconds, met, median, p90."""


async def by_reseller(session: AsyncSession, period: Period) -> list[dict[str, Any]]:
    """Report A: per reseller, cases opened in the period and the resolution times among them."""
    if await _holds_every_ticket(session, period):
        figures = await _whole_group_rows(session, RESELLERS, ["reseller_id"], [])
    else:
        figures = await _from_reseller_months(session, split_period(period.start, period.end, "month"))
    return [_row(["reseller_id"], key, found) for key, found in figures]


async def by_region_month(session: AsyncSession, period: Period) -> list[dict[str, Any]]:
    """Report B: per region (the ticket's country) and UTC month opened, the same figures."""
    split = split_period(period.start, period.end, "month")
    figures: list[tuple[tuple[Any, ...], Figures]] = []
    whole = whole_cells(split, COUNTRY_MONTHS.c.month)
    if whole is not None:
        figures += await _whole_group_rows(session, COUNTRY_MONTHS, ["country", "month"], whole)
    for edge in split.edges:
        found = await _edge_by_country(session, edge.start, edge.end)
        figures += [((country, edge.cell), figures_of) for country, figures_of in found]
    figures.sort(key=lambda item: item[0])
    return [_row(["region", "month"], (country, month.strftime("%Y-%m")), f) for (country, month), f in figures]


def _row(names: list[str], key: Sequence[Any], figures: Figures) -> dict[str, Any]:
    cases, count, seconds, met, median, p90 = figures
    return stats_row(names, key, cases, count, seconds / count if count else None, median, p90, met)


async def _holds_every_ticket(session: AsyncSession, period: Period) -> bool:
    """Whether no ticket was opened outside the period (two probes of `ix_tickets_opened_at`)."""
    if period.start is None and period.end is None:
        return True
    first, last = (await session.execute(select(func.min(TICKETS.c.opened_at), func.max(TICKETS.c.opened_at)))).one()
    if first is None:
        return True
    return (period.start is None or period.start <= first) and (period.end is None or last < period.end)


async def _whole_group_rows(
    session: AsyncSession, table: Any, keys: list[str], where: Sequence[Any]
) -> list[tuple[tuple[Any, ...], Figures]]:
    """One rollup row per group, in group order: its sums, and the median and p90 of its sorted resolution times
    by rank (on PostgreSQL the two values each percentile interpolates between are picked in SQL)."""
    key_columns = [table.c[name] for name in keys]
    sums = [table.c.cases, table.c.resolved, table.c.resolution_seconds_sum, table.c.resolution_met]
    query = select(*key_columns, *sums).where(*where).order_by(*key_columns)
    width = len(keys)
    if not is_postgresql(session):
        rows = await session.execute(query.add_columns(table.c.resolution_seconds))
        return [(tuple(r[:width]), (*_sums(r[width:-1]), *_median_p90(r[-1]))) for r in rows]
    seconds = type_coerce(table.c.resolution_seconds, ARRAY(Integer))
    count = func.cardinality(seconds)
    picks = []
    for fraction in PERCENTILES:  # the ranks of `percentile_rank`, 1-based, as PostgreSQL computes them in float8
        rank = cast(func.floor((count - 1) * literal(fraction, Float)), Integer) + 1
        picks += [seconds[rank], seconds[func.least(rank + 1, count)]]
    found = []
    for row in await session.execute(query.add_columns(*picks)):
        cases, resolved, total, met = _sums(row[width : width + 4])
        values = row[width + 4 :]
        pairs = zip(values[::2], values[1::2], strict=True)
        median, p90 = (
            None if lower is None else interpolate(lower, upper, percentile_rank(resolved, fraction)[2])
            for (lower, upper), fraction in zip(pairs, PERCENTILES, strict=True)
        )
        found.append((tuple(row[:width]), (cases, resolved, total, met, median, p90)))
    return found


def _sums(values: Sequence[Any]) -> tuple[int, int, int, int]:
    cases, count, seconds, met = (int(value or 0) for value in values)
    return cases, count, seconds, met


def _median_p90(values: Sequence[int]) -> tuple[float | None, float | None]:
    ordered = sorted(values)
    return percentile(ordered, 0.5), percentile(ordered, 0.9)


async def _edge_by_country(session: AsyncSession, start: Any, end: Any) -> list[tuple[str, Figures]]:
    """Report B's figures per country over the tickets opened in [start, end), part of one month."""
    within = [TICKETS.c.opened_at >= start, TICKETS.c.opened_at < end]
    seconds, met = TICKETS.c.resolution_seconds, TICKETS.c.resolution_met
    if not is_postgresql(session):
        values: dict[str, list[tuple[int | None, bool | None]]] = defaultdict(list)
        for country, value, met_value in await session.execute(select(TICKETS.c.country, seconds, met).where(*within)):
            values[country].append((value, met_value))
        return [(country, _figures_of(values[country])) for country in sorted(values)]
    query = (
        select(
            TICKETS.c.country,
            *_sums_of_tickets(),
            func.percentile_cont(0.5).within_group(seconds),
            func.percentile_cont(0.9).within_group(seconds),
        )
        .where(*within)
        .group_by(TICKETS.c.country)
        .order_by(TICKETS.c.country)
    )
    return [(row[0], (*_sums(row[1:5]), row[5], row[6])) for row in await session.execute(query)]


def _sums_of_tickets() -> list[Any]:
    seconds = TICKETS.c.resolution_seconds
    return [
        func.count(),
        func.count(seconds),
        func.coalesce(func.sum(seconds), 0),
        func.count(case((TICKETS.c.resolution_met.is_(True), 1))),
    ]


def _figures_of(tickets: Sequence[tuple[int | None, bool | None]]) -> Figures:
    values = [value for value, _ in tickets if value is not None]
    met = sum(1 for _, met in tickets if met is True)
    return (len(tickets), len(values), sum(values), met, *_median_p90(values))


async def _from_reseller_months(session: AsyncSession, split: PeriodSplit) -> list[tuple[tuple[Any, ...], Figures]]:
    """Report A over a period that leaves tickets out: the whole months' rows and the edges' tickets, per reseller."""
    if not is_postgresql(session):
        return await _reseller_months_in_python(session, split)
    parts: list[Select[Any]] = []
    whole = whole_cells(split, MONTHS.c.month)
    if whole is not None:
        sums = [MONTHS.c.cases, MONTHS.c.resolved, MONTHS.c.resolution_seconds_sum, MONTHS.c.resolution_met]
        parts.append(select(MONTHS.c.reseller_id, *sums, MONTHS.c.resolution_seconds.label("seconds")).where(*whole))
    seconds = TICKETS.c.resolution_seconds
    for edge in split.edges:  # each edge's tickets as rows of the same shape, one per reseller
        gathered = func.array_agg(seconds).filter(seconds.is_not(None))
        parts.append(
            select(TICKETS.c.reseller_id, *_sums_of_tickets(), func.coalesce(gathered, []).label("seconds"))
            .where(TICKETS.c.opened_at >= edge.start, TICKETS.c.opened_at < edge.end)
            .group_by(TICKETS.c.reseller_id)
        )
    cells = (parts[0] if len(parts) == 1 else union_all(*parts)).subquery()
    totals = await session.execute(
        select(cells.c.reseller_id, *(func.sum(c) for c in list(cells.c)[1:5]))
        .group_by(cells.c.reseller_id)
        .order_by(cells.c.reseller_id)
    )
    percentiles = await _percentiles_by_reseller(session, cells)
    return [((row[0],), (*_sums(row[1:5]), *percentiles.get(row[0], (None, None)))) for row in totals]


async def _percentiles_by_reseller(session: AsyncSession, cells: Any) -> dict[str, tuple[float | None, float | None]]:
    """percentile_cont per reseller over the rows' resolution times. The rows, not their values, are put in
    reseller order, so the values reach the aggregate reseller by reseller and are never sorted all together."""
    await session.execute(text("SET LOCAL work_mem = '64MB'"))  # the rows' sort, when it is one, stays in memory
    await session.execute(text("SET LOCAL jit = off"))  # compiling would cost more than these queries take
    ordered = select(cells.c.reseller_id, cells.c.seconds).order_by(cells.c.reseller_id).subquery()
    values = func.unnest(ordered.c.seconds).table_valued("seconds").render_derived(name="v").lateral()
    found = await session.execute(
        select(
            ordered.c.reseller_id,
            func.percentile_cont(0.5).within_group(values.c.seconds),
            func.percentile_cont(0.9).within_group(values.c.seconds),
        )
        .select_from(ordered.join(values, true()))
        .group_by(ordered.c.reseller_id)
    )
    return {row[0]: (row[1], row[2]) for row in found}


async def _reseller_months_in_python(
    session: AsyncSession, split: PeriodSplit
) -> list[tuple[tuple[Any, ...], Figures]]:
    sums: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    values: dict[str, list[int]] = defaultdict(list)
    whole = whole_cells(split, MONTHS.c.month)
    if whole is not None:
        columns = [MONTHS.c.cases, MONTHS.c.resolved, MONTHS.c.resolution_seconds_sum, MONTHS.c.resolution_met]
        query = select(MONTHS.c.reseller_id, *columns, MONTHS.c.resolution_seconds).where(*whole)
        for row in await session.execute(query):
            for index, value in enumerate(row[1:5]):
                sums[row[0]][index] += int(value)
            values[row[0]].extend(row[5])
    for edge in split.edges:
        edge_query = select(TICKETS.c.reseller_id, TICKETS.c.resolution_seconds, TICKETS.c.resolution_met).where(
            TICKETS.c.opened_at >= edge.start, TICKETS.c.opened_at < edge.end
        )
        for reseller_id, seconds, met in await session.execute(edge_query):
            found = sums[reseller_id]
            found[0] += 1
            found[1] += seconds is not None
            found[2] += seconds or 0
            found[3] += met is True
            if seconds is not None:
                values[reseller_id].append(seconds)
    return [((key,), (*_sums(sums[key]), *_median_p90(values[key]))) for key in sorted(sums)]
