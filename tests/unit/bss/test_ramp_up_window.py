"""The ramp-up window (docs/domain.md, "Ramp-up", "Ramp-up cycles"): subscriptions decides it with this one
function and carries it on its events; billing only asks whether a period is in it."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bss.calendar_months import months_between, period_containing
from bss.ramp_up import RampUpWindow, in_ramp_up, ramp_up_window


def test_ramp_up_cycles_count_from_the_paid_month_and_a_partial_first_month_is_cycle_1() -> None:
    window = ramp_up_window(date(2023, 10, 1), 3)
    assert window == RampUpWindow(date(2023, 10, 1), date(2023, 12, 1))
    assert [in_ramp_up(window, date(2023, m, 1)) for m in (9, 10, 11, 12)] == [False, True, True, True]
    assert not in_ramp_up(window, date(2024, 1, 1))


def test_one_cycle_waives_only_the_month_the_subscription_became_paid() -> None:
    window = ramp_up_window(date(2023, 10, 1), 1)
    assert in_ramp_up(window, date(2023, 10, 1))
    assert not in_ramp_up(window, date(2023, 11, 1))


def test_a_mid_month_start_makes_its_whole_calendar_month_cycle_1() -> None:
    # The two former copies disagreed here: subscriptions' `first <= period < first + cycles months` said the
    # October period (named 2023-10-01) was not waived for a subscription paid from 2023-10-15; billing's
    # calendar-month count said it was. The month of becoming paid is cycle 1, partial or not.
    window = ramp_up_window(date(2023, 10, 15), 1)
    assert window == RampUpWindow(date(2023, 10, 1), date(2023, 10, 1))
    assert in_ramp_up(window, date(2023, 10, 1))
    assert not in_ramp_up(window, date(2023, 11, 1))


def test_no_window_before_the_subscription_is_paid_or_without_cycles() -> None:
    assert ramp_up_window(None, 3) is None
    assert ramp_up_window(date(2023, 10, 1), 0) is None
    assert not in_ramp_up(None, date(2023, 10, 1))


def test_a_window_runs_over_the_year_end() -> None:
    assert ramp_up_window(date(2023, 11, 30), 3) == RampUpWindow(date(2023, 11, 1), date(2024, 1, 1))


@pytest.mark.parametrize(
    ("first", "last"), [(date(2023, 10, 2), date(2023, 10, 1)), (date(2023, 11, 1), date(2023, 10, 1))]
)
def test_a_window_is_named_by_1sts_in_order(first: date, last: date) -> None:
    with pytest.raises(ValueError, match="not a ramp-up window"):
        RampUpWindow(first, last)


@given(
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
    st.integers(0, 3),
    st.dates(min_value=date(2019, 1, 1), max_value=date(2031, 12, 31)),
)
def test_a_period_is_waived_exactly_when_it_is_one_of_the_first_cycles_calendar_months(
    paid_in: date, cycles: int, period: date
) -> None:
    cycle = months_between(period_containing(paid_in), period_containing(period)) + 1
    assert in_ramp_up(ramp_up_window(paid_in, cycles), period) == (1 <= cycle <= cycles)
