"""How the Tier 1 reports (seed 000) are kept summed: cells of UTC days or months, and duration buckets.

docs/domain.md, "The Tier 1 support program and its five reports (A-E)"; docs/decisions/0020. The reports add up
rollup rows, one per cell (a UTC day or month, and the report's group), instead of reading every ticket: a period
splits into the whole cells it covers and, at its ends, the instants no whole cell covers (`split_period`), which
are read from the tickets themselves. Durations (time to first reply, resolution time) are also kept by bucket
(`duration_bucket`), so that a percentile reads the values of one bucket only (`percentile_rank`).
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

CellSize = Literal["day", "month"]

NO_DURATION = -1
"""The bucket of a ticket with no duration yet (not answered): a case of the report, not a measured one."""


def _duration_bounds() -> tuple[int, ...]:
    """Lower bounds of the duration buckets, in seconds: 0, 1, 2 and 3, then four buckets per doubling
    (4, 5, 6, 7, 8, 10, 12, 14, 16, 20, ...) up to the largest 32-bit value, so a bucket holds durations
    within 25 % of one another."""
    bounds = [0, 1, 2, 3]
    exponent = 2
    while 2**exponent < 2**31:
        step = 2 ** (exponent - 2)
        bounds.extend(2**exponent + quarter * step for quarter in range(4))
        exponent += 1
    return tuple(bounds)


DURATION_BOUNDS = _duration_bounds()


def duration_bucket(seconds: int | None) -> int:
    """The bucket of a duration: the index of the last lower bound at or below it; NO_DURATION for none."""
    if seconds is None:
        return NO_DURATION
    return max(0, bisect_right(DURATION_BOUNDS, seconds) - 1)


def day_of(instant: datetime) -> date:
    """The UTC day of an instant."""
    return instant.astimezone(UTC).date()


def month_of(instant: datetime) -> date:
    """The first day of the UTC month of an instant."""
    return day_of(instant).replace(day=1)


def cell_of(instant: datetime, size: CellSize) -> date:
    return day_of(instant) if size == "day" else month_of(instant)


def next_cell(cell: date, size: CellSize) -> date:
    if size == "day":
        return cell + timedelta(days=1)
    return date(cell.year + cell.month // 12, cell.month % 12 + 1, 1)


def cell_start(cell: date) -> datetime:
    """The instant a cell (day or month) begins, in UTC."""
    return datetime.combine(cell, time(), tzinfo=UTC)


def cell_span(cell: date, size: CellSize) -> tuple[datetime, datetime]:
    """The half-open range of instants of a cell."""
    return cell_start(cell), cell_start(next_cell(cell, size))


@dataclass(frozen=True, slots=True)
class Edge:
    """Instants of one cell, [start, end), that a period takes but not the whole cell."""

    cell: date
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class PeriodSplit:
    """A period as the whole cells it covers, from `first` up to `end` excluded (None: unbounded on that side;
    `whole` False: none at all), and the parts of cells at its ends (`edges`, each within one cell)."""

    whole: bool
    first: date | None
    end: date | None
    edges: tuple[Edge, ...]

    def covers(self, cell: date) -> bool:
        """Whether a cell is one of the whole cells."""
        return self.whole and (self.first is None or cell >= self.first) and (self.end is None or cell < self.end)


def split_period(start: datetime | None, end: datetime | None, size: CellSize) -> PeriodSplit:
    """Split the half-open period [start, end) (either side open when None) into whole cells and edges."""
    first = None if start is None else _cell_at_or_after(start, size)
    last = None if end is None else cell_of(end, size)  # the cell `end` falls in: whole cells stop before it
    if start is not None and end is not None and first is not None and last is not None and first >= last:
        # no whole cell: the period lies within one cell, or across the boundary of two
        edges = [Edge(cell_of(start, size), start, min(end, cell_span(cell_of(start, size), size)[1]))]
        if cell_of(end, size) != edges[0].cell and cell_start(cell_of(end, size)) != end:
            edges.append(Edge(cell_of(end, size), cell_start(cell_of(end, size)), end))
        return PeriodSplit(False, None, None, tuple(edges))
    bounds = []
    if start is not None and first is not None and cell_start(first) != start:
        bounds.append(Edge(cell_of(start, size), start, cell_start(first)))
    if end is not None and last is not None and cell_start(last) != end:
        bounds.append(Edge(last, cell_start(last), end))
    return PeriodSplit(True, first, last, tuple(bounds))


def _cell_at_or_after(instant: datetime, size: CellSize) -> date:
    cell = cell_of(instant, size)
    return cell if cell_start(cell) == instant else next_cell(cell, size)


def percentile_rank(count: int, fraction: float) -> tuple[int, int, float]:
    """The two ranks (0-based, in ascending order) a continuous percentile interpolates between, and the weight
    of the upper one: the rule of PostgreSQL's percentile_cont, which the reports have always used."""
    position = (count - 1) * fraction
    low = int(position)
    return low, min(low + 1, count - 1), position - low


def interpolate(low: float, high: float, weight: float) -> float:
    """The value between the two ranks, as percentile_cont computes it (in this order, for the same float)."""
    return low + (high - low) * weight
