"""Ramp-up caps (seed 004): 0..3 cycles before 2023-11-01, 0..1 from then (the window: tests/unit/bss)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from subscriptions.domain.ramp_up import (
    cycles_at_creation,
    grant_refusal,
    max_ramp_up_cycles,
    ramp_up_refusal,
)


def test_ramp_up_of_3_cycles_is_allowed_on_2023_10_31() -> None:
    assert max_ramp_up_cycles(date(2023, 10, 31)) == 3
    assert ramp_up_refusal(3, date(2023, 10, 31)) is None


def test_ramp_up_is_capped_at_1_cycle_from_2023_11_01() -> None:
    assert max_ramp_up_cycles(date(2023, 11, 1)) == 1
    assert ramp_up_refusal(1, date(2023, 11, 1)) is None
    refusal = ramp_up_refusal(2, date(2023, 11, 1))
    assert refusal is not None
    assert "cap of 1" in refusal


@pytest.mark.parametrize("on", [date(2022, 1, 1), date(2023, 10, 31), date(2024, 6, 1)])
def test_ramp_up_of_4_cycles_is_always_refused(on: date) -> None:
    assert ramp_up_refusal(4, on) is not None
    assert grant_refusal(4) is not None


def test_a_standing_grant_applies_up_to_the_cap_of_the_start_date() -> None:
    assert cycles_at_creation(3, date(2023, 10, 31)) == 3
    assert cycles_at_creation(3, date(2023, 11, 1)) == 1
    assert cycles_at_creation(0, date(2023, 1, 1)) == 0


@given(st.integers(-5, 10), st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)))
def test_a_ramp_up_is_accepted_exactly_when_within_the_cap_of_its_start_date(cycles: int, on: date) -> None:
    accepted = ramp_up_refusal(cycles, on) is None
    assert accepted == (0 <= cycles <= (3 if on < date(2023, 11, 1) else 1))
