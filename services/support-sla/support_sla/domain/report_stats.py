"""Statistics of the Tier 1 reports (seed 000): mean, median, 90th percentile, SLA attainment."""

from __future__ import annotations

from collections.abc import Sequence

AGE_BUCKETS: tuple[tuple[str, int, int | None], ...] = (
    ("<1d", 0, 86_400),
    ("1-3d", 86_400, 3 * 86_400),
    ("3-7d", 3 * 86_400, 7 * 86_400),
    ("7-30d", 7 * 86_400, 30 * 86_400),
    (">=30d", 30 * 86_400, None),
)


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Continuous percentile with linear interpolation (the same as PostgreSQL's percentile_cont)."""
    if not values:
        return None
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def attainment_percent(met: int, total: int) -> float | None:
    """Share of targets met on time, in percent with two decimals; None without any target."""
    return round(100.0 * met / total, 2) if total else None


def age_bucket(seconds: float) -> str:
    """The age bucket of an open case (report C)."""
    for name, low, high in AGE_BUCKETS:
        if seconds >= low and (high is None or seconds < high):
            return name
    return AGE_BUCKETS[0][0]
