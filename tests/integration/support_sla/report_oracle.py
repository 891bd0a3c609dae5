"""The oracle of the Tier 1 reports: reports A-E as they were computed before the rollups (docs/decisions/0020),
straight from every ticket of the period. The tests and `bench/support_reports.py` compare the service's reports,
which read the rollups, with these, on the same database.

PostgreSQL computes everything in SQL (percentile_cont), over the indexes on `tickets`; SQLite, the embedded
default, aggregates counts in SQL and the percentiles in Python.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select, text
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from support_sla.adapters.reports import Period
from support_sla.domain.report_stats import AGE_BUCKETS, attainment_percent, percentile
from support_sla.models import Ticket


def _pg(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


async def _stats(
    session: AsyncSession, value: Any, met: Any, groups: Sequence[Any], where: Sequence[ColumnElement[bool]]
) -> list[dict[str, Any]]:
    """Per group: cases, and count, mean, median, p90 of `value` (where set), attainment and breaches of `met`."""
    if _pg(session):
        # Ordered-set aggregates sort in memory only within work_mem; the default 4 MB spills 1M rows to disk.
        await session.execute(text("SET LOCAL work_mem = '256MB'"))
        query = select(
            *groups,
            func.count(),
            func.count(value),
            func.avg(value),
            func.percentile_cont(0.5).within_group(value),
            func.percentile_cont(0.9).within_group(value),
            func.count(case((met.is_(True), 1))),
        ).where(*where)
        rows = (await session.execute(query.group_by(*groups).order_by(*groups))).all()
        return [_row(groups, row[: len(groups)], *row[len(groups) :]) for row in rows]
    raw = (await session.execute(select(*groups, value, met).where(*where))).all()
    buckets: dict[tuple[Any, ...], list[tuple[float | None, bool]]] = defaultdict(list)
    for row in raw:
        buckets[tuple(row[: len(groups)])].append((None if row[-2] is None else float(row[-2]), bool(row[-1])))
    out = []
    for key in sorted(buckets):
        values = [v for v, _ in buckets[key] if v is not None]
        met_n = sum(1 for _, m in buckets[key] if m)
        mean = sum(values) / len(values) if values else None
        out.append(
            _row(
                groups,
                key,
                len(buckets[key]),
                len(values),
                mean,
                percentile(values, 0.5),
                percentile(values, 0.9),
                met_n,
            )
        )
    return out


def _row(
    groups: Sequence[Any], key: Sequence[Any], cases: int, count: int, mean: Any, median: Any, p90: Any, met: int
) -> dict[str, Any]:
    row: dict[str, Any] = {g.key: k for g, k in zip(groups, key, strict=True)}
    row.update(
        cases=int(cases),
        count=int(count),
        mean_seconds=_round(mean),
        median_seconds=_round(median),
        p90_seconds=_round(p90),
        sla_attainment_percent=attainment_percent(int(met or 0), int(count)),
        sla_breaches=int(count) - int(met or 0),  # measured cases that missed the target (exact, not from the %)
    )
    return row


def _round(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)


def _month(session: AsyncSession) -> ColumnElement[Any]:
    if _pg(session):  # date_trunc is far cheaper per row than to_char; formatted after aggregation
        return func.date_trunc("month", func.timezone("UTC", Ticket.opened_at)).label("month")
    return func.strftime("%Y-%m", Ticket.opened_at).label("month")


async def report_a(session: AsyncSession, period: Period) -> list[dict[str, Any]]:
    """(A) Cases per reseller, with resolution time (count = resolved cases) and its SLA attainment."""
    where = period.filters(Ticket.opened_at)
    return await _stats(session, Ticket.resolution_seconds, Ticket.resolution_met, [Ticket.reseller_id], where)


async def report_b(session: AsyncSession, period: Period) -> list[dict[str, Any]]:
    """(B) Cases per region (the reseller's country) by month, with resolution time and SLA attainment."""
    where = period.filters(Ticket.opened_at)
    groups = [Ticket.country.label("region"), _month(session)]
    rows = await _stats(session, Ticket.resolution_seconds, Ticket.resolution_met, groups, where)
    for row in rows:
        if isinstance(row["month"], datetime):
            row["month"] = row["month"].strftime("%Y-%m")
    return rows


async def report_c(session: AsyncSession, period: Period, now: datetime) -> list[dict[str, Any]]:
    """(C) Age of open cases at `now`, in buckets, with mean, median and p90 age."""
    where = [Ticket.resolved_at.is_(None), *period.filters(Ticket.opened_at)]
    columns = []
    for name, low, high in AGE_BUCKETS:
        newest = now - timedelta(seconds=low)
        condition = (
            and_(Ticket.opened_at <= newest, Ticket.opened_at > now - timedelta(seconds=high))
            if high
            else Ticket.opened_at <= newest
        )
        columns.append(func.sum(case((condition, 1), else_=0)).label(name))
    counts = (await session.execute(select(func.count(), *columns).where(*where))).one()
    if _pg(session):
        await session.execute(text("SET LOCAL work_mem = '256MB'"))
        epoch = func.extract("epoch", Ticket.opened_at)
        row = (
            await session.execute(
                select(
                    func.avg(epoch),
                    func.percentile_cont(0.5).within_group(epoch),
                    func.percentile_cont(0.1).within_group(epoch),
                ).where(*where)
            )
        ).one()
        ages = [None if v is None else now.timestamp() - float(v) for v in row]
    else:
        values = [
            (now - opened).total_seconds() for opened in await session.scalars(select(Ticket.opened_at).where(*where))
        ]
        ages = [sum(values) / len(values) if values else None, percentile(values, 0.5), percentile(values, 0.9)]
    result: dict[str, Any] = {"open_cases": int(counts[0])}
    result.update({name: int(counts[i + 1] or 0) for i, (name, _, _) in enumerate(AGE_BUCKETS)})
    result.update(mean_age_seconds=_round(ages[0]), median_age_seconds=_round(ages[1]), p90_age_seconds=_round(ages[2]))
    return [result]


async def report_d(session: AsyncSession, period: Period) -> list[dict[str, Any]]:
    """(D) Time to initial reply, with first-response SLA attainment."""
    rows = await _stats(
        session, Ticket.first_response_seconds, Ticket.first_response_met, [], period.filters(Ticket.opened_at)
    )
    return rows or [_row([], [], 0, 0, None, None, None, 0)]


async def report_e(session: AsyncSession, period: Period) -> list[dict[str, Any]]:
    """(E) Resolution time by severity (paused time excluded), with permanent-resolution SLA attainment."""
    where = [Ticket.resolved_at.is_not(None), *period.filters(Ticket.resolved_at)]
    return await _stats(session, Ticket.resolution_seconds, Ticket.resolution_met, [Ticket.severity], where)
