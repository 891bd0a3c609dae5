"""The cells the Tier 1 reports are summed in (docs/decisions/0020): a period's whole days or months and its edges,
duration buckets, and the ranks a percentile interpolates between."""

from __future__ import annotations

import importlib.util
import itertools
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from support_sla.domain.report_cells import (
    DURATION_BOUNDS,
    NO_DURATION,
    Edge,
    PeriodSplit,
    duration_bucket,
    percentile_rank,
    split_period,
)
from support_sla.domain.report_stats import percentile
from support_sla.main import MIGRATIONS_DIR


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_the_whole_history_is_every_cell_without_edges() -> None:
    assert split_period(None, None, "month") == PeriodSplit(True, None, None, ())


def test_a_period_on_cell_boundaries_has_no_edges() -> None:
    split = split_period(utc(2024, 1, 1), utc(2024, 4, 1), "month")
    assert split == PeriodSplit(True, date(2024, 1, 1), date(2024, 4, 1), ())


def test_a_period_between_boundaries_keeps_the_parts_of_its_first_and_last_cell_as_edges() -> None:
    split = split_period(utc(2024, 2, 10, 13, 30), utc(2024, 4, 3, 5), "month")
    assert (split.first, split.end) == (date(2024, 3, 1), date(2024, 4, 1))
    assert split.edges == (
        Edge(date(2024, 2, 1), utc(2024, 2, 10, 13, 30), utc(2024, 3, 1)),
        Edge(date(2024, 4, 1), utc(2024, 4, 1), utc(2024, 4, 3, 5)),
    )


def test_a_period_within_one_day_is_one_edge_and_no_whole_day() -> None:
    split = split_period(utc(2024, 3, 4, 8, 30), utc(2024, 3, 4, 20), "day")
    assert split == PeriodSplit(
        False, None, None, (Edge(date(2024, 3, 4), utc(2024, 3, 4, 8, 30), utc(2024, 3, 4, 20)),)
    )


def test_a_period_across_one_boundary_without_a_whole_cell_is_two_edges() -> None:
    split = split_period(utc(2024, 2, 20), utc(2024, 3, 10, 6), "month")
    assert not split.whole
    assert split.edges == (
        Edge(date(2024, 2, 1), utc(2024, 2, 20), utc(2024, 3, 1)),
        Edge(date(2024, 3, 1), utc(2024, 3, 1), utc(2024, 3, 10, 6)),
    )


def test_cells_are_utc_days_whatever_the_offset_of_the_period() -> None:
    split = split_period(datetime(2024, 3, 1, tzinfo=timezone(timedelta(hours=1))), None, "day")
    assert (split.first, split.end) == (date(2024, 3, 1), None)
    assert split.edges == (Edge(date(2024, 2, 29), utc(2024, 2, 29, 23), utc(2024, 3, 1)),)


instants = st.datetimes(
    min_value=datetime(2023, 1, 1),  # noqa: DTZ001 - hypothesis bounds are naive; the values are UTC
    max_value=datetime(2025, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)


@given(instants, instants, st.sampled_from(["day", "month"]))
def test_whole_cells_and_edges_cover_the_period_exactly_once(a: datetime, b: datetime, size: str) -> None:
    start, end = min(a, b), max(a, b) + timedelta(microseconds=1)
    split = split_period(start, end, size)  # type: ignore[arg-type]
    probes = [start, end - timedelta(microseconds=1), *(e.start for e in split.edges), *(e.end for e in split.edges)]
    for probe in probes:
        in_edges = sum(edge.start <= probe < edge.end for edge in split.edges)
        cell = probe.date() if size == "day" else probe.date().replace(day=1)
        in_whole = split.covers(cell)
        assert in_edges + in_whole == (start <= probe < end)
    for edge in split.edges:
        assert edge.start < edge.end
        assert not split.covers(edge.cell)


def test_duration_buckets_hold_durations_within_a_quarter_of_one_another() -> None:
    assert DURATION_BOUNDS[:12] == (0, 1, 2, 3, 4, 5, 6, 7, 8, 10, 12, 14)
    assert duration_bucket(None) == NO_DURATION
    assert [duration_bucket(s) for s in (0, 3, 9, 10, 11, 2**31 - 1)] == [0, 3, 8, 9, 9, len(DURATION_BOUNDS) - 1]
    assert all(high <= 1.25 * low for low, high in itertools.pairwise(DURATION_BOUNDS[4:]))


def test_the_migration_buckets_durations_as_the_service_does() -> None:
    path = MIGRATIONS_DIR / "versions" / "0005_report_rollups.py"
    spec = importlib.util.spec_from_file_location("report_rollups_migration", path)
    assert spec is not None
    assert spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    assert tuple(migration.duration_bounds()) == DURATION_BOUNDS


@given(st.lists(st.integers(min_value=0, max_value=10**7), min_size=1, max_size=50), st.sampled_from([0.1, 0.5, 0.9]))
def test_a_percentile_from_two_ranks_is_the_percentile_of_all_values(values: list[int], fraction: float) -> None:
    ordered = sorted(values)
    low, high, weight = percentile_rank(len(ordered), fraction)
    assert ordered[low] + (ordered[high] - ordered[low]) * weight == percentile(ordered, fraction)


@pytest.mark.parametrize(("count", "ranks"), [(1, (0, 0, 0.0)), (2, (0, 1, 0.5)), (11, (5, 6, 0.0))])
def test_percentile_ranks(count: int, ranks: tuple[int, int, float]) -> None:
    assert percentile_rank(count, 0.5) == ranks
