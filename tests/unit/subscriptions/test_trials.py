"""Trials: how long they run and when they may convert (periods: tests/unit/bss/test_calendar_months.py)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import ValidationError

from bss.effective_settings import InvalidScope
from subscriptions.adapters.trial_policies import TrialPolicyValue, product_or_default
from subscriptions.domain.trials import (
    TrialChoice,
    TrialTerms,
    chosen_terms,
    may_convert,
    trial_ends_at,
    trial_is_over,
    trial_last_day,
    trial_length_days,
)

START = datetime(2024, 3, 1, 10, 0, tzinfo=UTC)


def test_a_30_day_trial_covers_30_whole_days_and_ends_at_midnight_after_the_last() -> None:
    ends = trial_ends_at(START, 30)
    assert ends == datetime(2024, 3, 31, 0, 0, tzinfo=UTC)
    assert trial_last_day(ends) == date(2024, 3, 30)


def test_trial_conversion_is_allowed_on_its_last_day() -> None:
    ends = trial_ends_at(START, 30)
    assert may_convert(ends, datetime(2024, 3, 30, 23, 59, 59, tzinfo=UTC))
    assert not trial_is_over(ends, datetime(2024, 3, 30, 23, 59, 59, tzinfo=UTC))


def test_trial_conversion_is_refused_the_day_after_its_last_day() -> None:
    ends = trial_ends_at(START, 30)
    assert not may_convert(ends, datetime(2024, 3, 31, 0, 0, tzinfo=UTC))
    assert trial_is_over(ends, datetime(2024, 3, 31, 0, 0, tzinfo=UTC))


def test_trial_length_is_a_setting() -> None:
    assert trial_last_day(trial_ends_at(START, 14)) == date(2024, 3, 14)


def test_trial_length_is_read_back_from_its_start_and_end_whatever_the_hour() -> None:
    for days in (1, 14, 30, 365):
        assert trial_length_days(START, trial_ends_at(START, days)) == days
    late = datetime(2024, 3, 1, 23, 59, tzinfo=UTC)
    assert trial_length_days(late, trial_ends_at(late, 1)) == 1


POLICY = TrialTerms(days=30, auto_convert=False)


@pytest.mark.parametrize(
    ("choice", "expected"),
    [
        (None, TrialTerms(30, False)),
        (TrialChoice(), TrialTerms(30, False)),
        (TrialChoice(days=14), TrialTerms(14, False)),
        (TrialChoice(auto_convert=True), TrialTerms(30, True)),
        (TrialChoice(days=7, auto_convert=True), TrialTerms(7, True)),
    ],
)
def test_trial_terms_chosen_by_the_order_override_the_policy_term_by_term(
    choice: TrialChoice | None, expected: TrialTerms
) -> None:
    assert chosen_terms(POLICY, choice) == expected


def test_trial_policy_order_may_turn_auto_conversion_off_where_the_policy_has_it_on() -> None:
    assert chosen_terms(TrialTerms(10, True), TrialChoice(auto_convert=False)) == TrialTerms(10, False)


@pytest.mark.parametrize(
    "value",
    [
        {"days": 0, "auto_convert": False},
        {"days": 366, "auto_convert": False},
        {"days": "30", "auto_convert": False},
        {"days": 30, "auto_convert": "yes"},
        {"days": 30},
        {"days": 30, "auto_convert": False, "grace_days": 3},
    ],
)
def test_trial_policy_value_is_1_to_365_days_and_a_boolean_and_nothing_else(value: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        TrialPolicyValue.model_validate(value)


def test_trial_policy_value_accepts_the_bounds() -> None:
    assert TrialPolicyValue(days=1, auto_convert=True).terms() == TrialTerms(1, True)
    assert TrialPolicyValue(days=365, auto_convert=False).terms() == TrialTerms(365, False)


def test_trial_policy_scope_is_star_or_a_product_id_in_canonical_form() -> None:
    product = "0190C3A0-0003-7000-8000-000000000003"
    assert product_or_default("*") == "*"
    assert product_or_default(product) == product.lower()
    for bad in ("", "tier-3", "**", "default"):
        with pytest.raises(InvalidScope):
            product_or_default(bad)
