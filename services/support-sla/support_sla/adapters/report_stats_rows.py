"""What the Tier 1 reports share: the period, the row of figures, and where a period's whole cells are."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from support_sla.domain.report_cells import PeriodSplit
from support_sla.domain.report_stats import attainment_percent


@dataclass(frozen=True, slots=True)
class Period:
    start: datetime | None
    end: datetime | None

    def filters(self, column: Any) -> list[ColumnElement[bool]]:
        out: list[ColumnElement[bool]] = []
        if self.start is not None:
            out.append(column >= self.start)
        if self.end is not None:
            out.append(column < self.end)
        return out


def is_postgresql(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def whole_cells(split: PeriodSplit, column: Any) -> list[ColumnElement[bool]] | None:
    """The conditions on a rollup's cell column for the period's whole cells; None when it has none."""
    if not split.whole:
        return None
    conditions: list[ColumnElement[bool]] = []
    if split.first is not None:
        conditions.append(column >= split.first)
    if split.end is not None:
        conditions.append(column < split.end)
    return conditions


def in_edges(split: PeriodSplit, column: Any) -> ColumnElement[bool] | None:
    """The condition on a ticket instant for the period's edges (the instants no whole cell covers)."""
    if not split.edges:
        return None
    return or_(*(and_(column >= edge.start, column < edge.end) for edge in split.edges))


def stats_row(
    groups: Sequence[str], key: Sequence[Any], cases: int, count: int, mean: Any, median: Any, p90: Any, met: int
) -> dict[str, Any]:
    """A report row: its group, the cases, and count, mean, median and p90 of the measure in seconds (rounded to
    a tenth), the SLA attainment and the breaches."""
    row: dict[str, Any] = dict(zip(groups, key, strict=True))
    row.update(
        cases=int(cases),
        count=int(count),
        mean_seconds=rounded(mean),
        median_seconds=rounded(median),
        p90_seconds=rounded(p90),
        sla_attainment_percent=attainment_percent(int(met or 0), int(count)),
        sla_breaches=int(count) - int(met or 0),  # measured cases that missed the target (exact, not from the %)
    )
    return row


def rounded(value: Any) -> float | None:
    return None if value is None else round(float(value), 1)
