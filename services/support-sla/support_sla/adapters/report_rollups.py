"""The Tier 1 reports' rollups, kept in the transaction that changes a ticket (docs/decisions/0020).

Each rollup row sums one cell (`domain/report_cells.py`): a UTC day or month and the report's group. When a ticket's
report columns change, every cell it belongs to is summed again, under a lock on the cell's row: the row is created
if missing and locked in one upsert, so of two transactions changing tickets of one cell the second sums after the
first has committed (on PostgreSQL, READ COMMITTED gives each statement after the lock a fresh snapshot), and no
change is lost. Summing a cell again (a few dozen to a few thousand values, read through an index) rather than
adding a difference keeps it right whatever changed and however often. Cells are locked in one order (table, then
key), so two transactions never wait on each other in a circle.

A ticket's cells: from its opening, its reseller-month, then (summed from reseller-month rows) its reseller over all
months and its country-month, and its opening day's first-reply bucket; while it is not resolved, its opening day
among the open cases; once resolved, its severity, resolution day and resolution-time bucket. Their keys never move:
the opening instant, reseller and country are fixed, the first reply and the resolution are set once, and the
severity cannot change after resolution (`domain/ticket_lifecycle.py`).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Table, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bss.db import insert_for
from support_sla.domain.report_cells import (
    DURATION_BOUNDS,
    NO_DURATION,
    cell_span,
    day_of,
    duration_bucket,
    month_of,
)
from support_sla.models import (
    ReportCountryMonth,
    ReportFirstResponseBucket,
    ReportOpenDay,
    ReportReseller,
    ReportResellerMonth,
    ReportResolutionBucket,
    Ticket,
)

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
MICROSECOND = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class ReportFacts:
    """A ticket's report columns, what the rollups count of it beyond what never changes (opening instant,
    reseller, country). They are written with the SLA clocks (`usecases/sla_sync.py`): a resolution time is set
    exactly when the ticket is resolved."""

    first_response_seconds: int | None
    first_response_met: bool | None
    resolution_seconds: int | None
    resolution_met: bool | None

    @property
    def open(self) -> bool:
        return self.resolution_seconds is None


def report_facts(ticket: Ticket) -> ReportFacts:
    return ReportFacts(
        ticket.first_response_seconds, ticket.first_response_met, ticket.resolution_seconds, ticket.resolution_met
    )


def epoch_seconds(instant: datetime) -> Decimal:
    """Seconds since 1970 to the microsecond, exactly (PostgreSQL's `extract(epoch from ...)`)."""
    delta = instant - EPOCH
    return (Decimal(delta.days * 86_400 + delta.seconds) + Decimal(delta.microseconds) * MICROSECOND).quantize(
        MICROSECOND
    )


async def refresh_ticket_rollups(session: AsyncSession, ticket: Ticket, before: ReportFacts | None) -> None:
    """Sum again the cells of a ticket whose report columns changed from `before` (None: a new ticket)."""
    after = report_facts(ticket)
    if after == before:
        return
    await session.flush()  # the cells are summed from the tickets table, this ticket's row included
    resolution = (after.resolution_seconds, after.resolution_met)
    resolution_changed = before is None or (before.resolution_seconds, before.resolution_met) != resolution
    if resolution_changed:
        month = month_of(ticket.opened_at)
        await _sum_reseller_month(session, ticket.reseller_id, ticket.country, month)
        await _sum_reseller(session, ticket.reseller_id)
        await _sum_country_month(session, ticket.country, month)
    if before is None or before.open != after.open:
        await _sum_open_day(session, day_of(ticket.opened_at))
    response = (after.first_response_seconds, after.first_response_met)
    if before is None or (before.first_response_seconds, before.first_response_met) != response:
        buckets = {duration_bucket(after.first_response_seconds)}
        if before is not None:
            buckets.add(duration_bucket(before.first_response_seconds))
        for bucket in sorted(buckets):
            await _sum_first_response_bucket(session, day_of(ticket.opened_at), bucket)
    if resolution_changed and ticket.resolved_at is not None:
        buckets = {duration_bucket(after.resolution_seconds)}
        if before is not None and not before.open:
            buckets.add(duration_bucket(before.resolution_seconds))
        for bucket in sorted(buckets):
            await _sum_resolution_bucket(session, ticket.severity, day_of(ticket.resolved_at), bucket)


async def _claim(session: AsyncSession, model: Any, key: dict[str, Any], empty: dict[str, Any]) -> None:
    """Lock the cell's row until the transaction ends, creating it if missing: one upsert whose update changes
    nothing but takes the row lock (and waits for a transaction that holds it)."""
    table = model.__table__
    first = next(iter(empty))
    upsert = insert_for(session)(table).values(**key, **empty)
    await session.execute(upsert.on_conflict_do_update(index_elements=list(key), set_={first: table.c[first]}))


def _matching(table: Table, key: dict[str, Any]) -> list[ColumnElement[bool]]:
    return [table.c[name] == value for name, value in key.items()]


async def _store(session: AsyncSession, model: Any, key: dict[str, Any], cases: int, values: dict[str, Any]) -> None:
    """Write a cell's sums, or drop its row when no ticket is left in it."""
    table = model.__table__
    if cases:
        await session.execute(update(table).where(*_matching(table, key)).values(**values))
    else:
        await session.execute(delete(table).where(*_matching(table, key)))


def _durations(rows: Sequence[Any]) -> dict[str, Any]:
    """A bucket's sums from its (seconds, met) rows."""
    seconds = sorted(row[0] for row in rows if row[0] is not None)
    return {
        "cases": len(rows),
        "seconds_sum": sum(seconds),
        "met": sum(1 for row in rows if row[1] is True),
        "seconds": seconds,
    }


_EMPTY_DURATIONS = {"cases": 0, "seconds_sum": 0, "met": 0, "seconds": []}


_EMPTY_RESOLUTIONS = {
    "cases": 0,
    "resolved": 0,
    "resolution_seconds_sum": 0,
    "resolution_met": 0,
    "resolution_seconds": [],
}


def _resolutions(rows: Sequence[Any]) -> dict[str, Any]:
    """Reports A and B's sums of a cell from its tickets' (resolution seconds, met) rows."""
    sums = _durations(rows)
    return {
        "cases": sums["cases"],
        "resolved": len(sums["seconds"]),
        "resolution_seconds_sum": sums["seconds_sum"],
        "resolution_met": sums["met"],
        "resolution_seconds": sums["seconds"],
    }


async def _sum_reseller_month(session: AsyncSession, reseller_id: str, country: str, month: date) -> None:
    key = {"reseller_id": reseller_id, "country": country, "month": month}
    await _claim(session, ReportResellerMonth, key, _EMPTY_RESOLUTIONS)
    start, end = cell_span(month, "month")
    query = select(Ticket.resolution_seconds, Ticket.resolution_met).where(
        Ticket.reseller_id == reseller_id, Ticket.country == country, Ticket.opened_at >= start, Ticket.opened_at < end
    )
    rows = (await session.execute(query)).all()
    await _store(session, ReportResellerMonth, key, len(rows), _resolutions(rows))


async def _sum_reseller(session: AsyncSession, reseller_id: str) -> None:
    """Every month of a reseller together, from its month rows (summed just before, in this transaction)."""
    months = ReportResellerMonth.__table__
    await _merge_months(session, ReportReseller, {"reseller_id": reseller_id}, months.c.reseller_id == reseller_id)


async def _sum_country_month(session: AsyncSession, country: str, month: date) -> None:
    """A country's month, from the month rows of its resellers (one of them summed just before)."""
    months = ReportResellerMonth.__table__
    key = {"country": country, "month": month}
    await _merge_months(session, ReportCountryMonth, key, months.c.country == country, months.c.month == month)


async def _merge_months(session: AsyncSession, model: Any, key: dict[str, Any], *where: ColumnElement[bool]) -> None:
    await _claim(session, model, key, _EMPTY_RESOLUTIONS)
    months = ReportResellerMonth.__table__
    rows = (await session.execute(select(*(months.c[name] for name in _EMPTY_RESOLUTIONS)).where(*where))).all()
    sums = {
        "cases": sum(row.cases for row in rows),
        "resolved": sum(row.resolved for row in rows),
        "resolution_seconds_sum": sum(row.resolution_seconds_sum for row in rows),
        "resolution_met": sum(row.resolution_met for row in rows),
        "resolution_seconds": sorted(itertools.chain.from_iterable(row.resolution_seconds for row in rows)),
    }
    await _store(session, model, key, sums["cases"], sums)


async def _sum_open_day(session: AsyncSession, day: date) -> None:
    key = {"day": day}
    await _claim(session, ReportOpenDay, key, {"open_cases": 0, "opened_epoch_sum": Decimal(0)})
    start, end = cell_span(day, "day")
    opened = (
        await session.scalars(
            select(Ticket.opened_at).where(
                Ticket.resolved_at.is_(None), Ticket.opened_at >= start, Ticket.opened_at < end
            )
        )
    ).all()
    total = sum((epoch_seconds(instant) for instant in opened), Decimal(0)).quantize(MICROSECOND)
    await _store(session, ReportOpenDay, key, len(opened), {"open_cases": len(opened), "opened_epoch_sum": total})


def _in_bucket(column: Any, bucket: int) -> list[ColumnElement[bool]]:
    if bucket == NO_DURATION:
        return [column.is_(None)]
    conditions = [column >= DURATION_BOUNDS[bucket]]
    if bucket + 1 < len(DURATION_BOUNDS):
        conditions.append(column < DURATION_BOUNDS[bucket + 1])
    return conditions


async def _sum_first_response_bucket(session: AsyncSession, day: date, bucket: int) -> None:
    key = {"day": day, "bucket": bucket}
    await _claim(session, ReportFirstResponseBucket, key, _EMPTY_DURATIONS)
    start, end = cell_span(day, "day")
    rows = (
        await session.execute(
            select(Ticket.first_response_seconds, Ticket.first_response_met).where(
                Ticket.opened_at >= start, Ticket.opened_at < end, *_in_bucket(Ticket.first_response_seconds, bucket)
            )
        )
    ).all()
    await _store(session, ReportFirstResponseBucket, key, len(rows), _durations(rows))


async def _sum_resolution_bucket(session: AsyncSession, severity: str, day: date, bucket: int) -> None:
    key = {"severity": severity, "day": day, "bucket": bucket}
    await _claim(session, ReportResolutionBucket, key, _EMPTY_DURATIONS)
    start, end = cell_span(day, "day")
    rows = (
        await session.execute(
            select(Ticket.resolution_seconds, Ticket.resolution_met).where(
                Ticket.resolved_at >= start,
                Ticket.resolved_at < end,
                Ticket.severity == severity,
                *_in_bucket(Ticket.resolution_seconds, bucket),
            )
        )
    ).all()
    await _store(session, ReportResolutionBucket, key, len(rows), _durations(rows))
