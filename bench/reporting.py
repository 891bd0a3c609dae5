"""What every benchmark reports with: percentiles, rates, peak memory, tables, and the final JSON line."""

from __future__ import annotations

import json
import math
import resource
import sys
from collections.abc import Mapping, Sequence

Figure = str | int | float | bool | None


def percentile(values: Sequence[float], pct: float) -> float:
    """The `pct`-th percentile (0-100), interpolated linearly between the closest ranks (numpy's default)."""
    if not values:
        return math.nan
    if not 0 <= pct <= 100:
        raise ValueError(f"percentile must be within 0..100, not {pct}")
    ordered = sorted(values)
    rank = (len(ordered) - 1) * pct / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def per_second(count: int, seconds: float) -> float:
    return count / seconds if seconds > 0 else math.nan


def rounded(value: float, digits: int = 0) -> int | float | None:
    """A figure for the JSON line: rounded, and None where it could not be measured (JSON has no NaN)."""
    if math.isnan(value):
        return None
    return round(value) if digits == 0 else round(value, digits)


def peak_rss_mb() -> float:
    """This process's peak resident set size so far, in MiB."""
    return _rss_mb(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def children_peak_rss_mb() -> float:
    """The largest peak RSS among child processes that have exited and were waited for (e.g. a stopped broker)."""
    return _rss_mb(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)


def _rss_mb(max_rss: int) -> float:
    # ru_maxrss is in KiB on Linux and in bytes on macOS.
    return max_rss / (1024 * 1024) if sys.platform == "darwin" else max_rss / 1024


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """A plain-text table: text left-aligned, numbers right-aligned."""
    cells = [[_cell(value) for value in row] for row in rows]
    widths = [max([len(header), *(len(row[i]) for row in cells)]) for i, header in enumerate(headers)]
    numeric = [all(_is_number(row[i]) for row in rows) if rows else False for i in range(len(headers))]

    def line(values: Sequence[str]) -> str:
        return "  ".join(
            value.rjust(width) if right else value.ljust(width)
            for value, width, right in zip(values, widths, numeric, strict=True)
        ).rstrip()

    print(f"\n{title}")
    print(line(list(headers)))
    print(line(["-" * width for width in widths]))
    for row in cells:
        print(line(row))


def print_result_line(figures: Mapping[str, Figure]) -> None:
    """The benchmark's last line of output: its figures as one JSON object (what the README quotes)."""
    print(json.dumps(dict(figures)), flush=True)


def _cell(value: object) -> str:
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        if math.isnan(value):
            return "-"
        return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
