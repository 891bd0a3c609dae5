"""The injectable clock: always aware and in UTC; a FixedClock moves only when told."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

import pytest

from bss.clock import Clock, FixedClock, SystemClock, ensure_utc

TOKYO = ZoneInfo("Asia/Tokyo")
KOLKATA_OFFSET = timezone(timedelta(hours=5, minutes=30))
NAIVE = datetime(2024, 1, 1, 12, 0)  # noqa: DTZ001 - the clock must refuse it


class _NoOffset(tzinfo):
    """A tzinfo that does not know its offset: as unknowable as no zone at all."""

    def utcoffset(self, dt: datetime | None) -> timedelta | None:
        return None

    def tzname(self, dt: datetime | None) -> str | None:
        return None

    def dst(self, dt: datetime | None) -> timedelta | None:
        return None


def test_fixed_clock_says_what_it_was_told_in_utc() -> None:
    clock = FixedClock(datetime(2024, 2, 1, 8, 30, tzinfo=TOKYO))
    assert clock.now() == datetime(2024, 1, 31, 23, 30, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_fixed_clock_does_not_move_by_itself() -> None:
    clock = FixedClock(datetime(2024, 1, 1, tzinfo=UTC))
    assert clock.now() == clock.now() == datetime(2024, 1, 1, tzinfo=UTC)


def test_fixed_clock_set_moves_it_to_the_given_instant_in_utc() -> None:
    clock = FixedClock(datetime(2024, 1, 1, tzinfo=UTC))
    clock.set(datetime(2023, 6, 30, 20, 0, tzinfo=timezone(timedelta(hours=-4))))
    assert clock.now() == datetime(2023, 7, 1, 0, 0, tzinfo=UTC)
    assert clock.now().tzinfo is UTC


def test_fixed_clock_advance_moves_it_forward_by_the_delta() -> None:
    clock = FixedClock(datetime(2024, 1, 31, 23, 59, 59, tzinfo=UTC))
    clock.advance(timedelta(seconds=1))
    assert clock.now() == datetime(2024, 2, 1, tzinfo=UTC)
    clock.advance(timedelta(days=29))
    assert clock.now() == datetime(2024, 3, 1, tzinfo=UTC)  # 2024 is a leap year
    assert clock.now().tzinfo is UTC


def test_fixed_clock_advance_by_a_negative_delta_moves_it_back() -> None:
    clock = FixedClock(datetime(2024, 3, 1, tzinfo=UTC))
    clock.advance(timedelta(hours=-1))
    assert clock.now() == datetime(2024, 2, 29, 23, 0, tzinfo=UTC)


def test_fixed_clock_advances_in_absolute_time_across_a_dst_change() -> None:
    # Created from New York wall time just before summer time began: 24 hours later is 24 hours later in UTC.
    clock = FixedClock(datetime(2024, 3, 9, 12, 0, tzinfo=ZoneInfo("America/New_York")))
    clock.advance(timedelta(hours=24))
    assert clock.now() == datetime(2024, 3, 10, 17, 0, tzinfo=UTC)


@pytest.mark.parametrize("naive", [NAIVE, datetime(2024, 1, 1, tzinfo=_NoOffset())], ids=["no-tzinfo", "no-offset"])
def test_fixed_clock_refuses_a_naive_start(naive: datetime) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        FixedClock(naive)


def test_fixed_clock_set_refuses_naive_and_keeps_its_time() -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    clock = FixedClock(start)
    with pytest.raises(ValueError, match="timezone-aware"):
        clock.set(NAIVE)
    assert clock.now() == start


@pytest.mark.parametrize("naive", [NAIVE, datetime(2024, 1, 1, tzinfo=_NoOffset())], ids=["no-tzinfo", "no-offset"])
def test_ensure_utc_refuses_naive(naive: datetime) -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        ensure_utc(naive)


@pytest.mark.parametrize(
    ("moment", "in_utc"),
    [
        (datetime(2024, 2, 1, 8, 30, tzinfo=TOKYO), datetime(2024, 1, 31, 23, 30, tzinfo=UTC)),
        (datetime(2024, 7, 1, 0, 0, tzinfo=ZoneInfo("America/Los_Angeles")), datetime(2024, 7, 1, 7, 0, tzinfo=UTC)),
        (datetime(2024, 1, 1, 0, 0, tzinfo=KOLKATA_OFFSET), datetime(2023, 12, 31, 18, 30, tzinfo=UTC)),
        (datetime(2024, 1, 1, 0, 0, tzinfo=UTC), datetime(2024, 1, 1, 0, 0, tzinfo=UTC)),
    ],
)
def test_ensure_utc_converts_an_aware_datetime_to_the_same_instant_in_utc(moment: datetime, in_utc: datetime) -> None:
    converted = ensure_utc(moment)
    assert converted == in_utc
    assert converted.tzinfo is UTC
    assert converted.replace(tzinfo=None) == in_utc.replace(tzinfo=None)


def test_system_clock_is_aware_utc_and_current() -> None:
    clock: Clock = SystemClock()
    before = datetime.now(UTC)
    now = clock.now()
    after = datetime.now(UTC)
    assert now.tzinfo is UTC
    assert before <= now <= after


def test_fixed_clock_satisfies_the_clock_protocol() -> None:
    clock: Clock = FixedClock(datetime(2024, 1, 1, tzinfo=UTC))
    assert clock.now().utcoffset() == timedelta(0)
