"""The timeline per billing period: tier (named as on the 1st), commitment, ramp-up flag and state."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

from subscriptions.domain.lifecycle import cancellation_effective_at, last_billed_period, transition_refusal
from subscriptions.domain.tier_changes import ScheduledChange
from subscriptions.domain.timeline import StatusChange, SubscriptionHistory, timeline
from tests.unit.subscriptions.catalog_fixtures import T1000, T2000, catalog

START = datetime(2023, 11, 20, 9, 0, tzinfo=UTC)


def history(**overrides: object) -> SubscriptionHistory:
    values: dict[str, object] = {
        "product_id": T1000,
        "started_at": START,
        "ends_at": None,
        "statuses": [StatusChange(START, "active")],
        "changes": [],
        "ramp_up_first_period": date(2023, 11, 1),
        "ramp_up_cycles": 1,
        "currency": "USD",
    }
    values.update(overrides)
    return SubscriptionHistory(**values)  # type: ignore[arg-type]


def test_the_timeline_follows_the_january_2024_rename_with_the_same_product() -> None:
    lines = timeline(history(), catalog(), date(2023, 1, 1), date(2024, 2, 1))
    assert [(line.period, line.tier, line.product_id) for line in lines] == [
        (date(2023, 11, 1), "Tier 2", T1000),
        (date(2023, 12, 1), "Tier 2", T1000),
        (date(2024, 1, 1), "Tier 3", T1000),
        (date(2024, 2, 1), "Tier 3", T1000),
    ]
    assert {line.commitment for line in lines} == {Decimal(1000)}
    assert [line.ramp_up for line in lines] == [True, False, False, False]


def test_the_timeline_shows_a_tier_change_from_its_effective_period_and_the_state_each_month_ended_in() -> None:
    suspended = datetime(2024, 1, 10, tzinfo=UTC)
    resumed = datetime(2024, 2, 3, tzinfo=UTC)
    lines = timeline(
        history(
            changes=[ScheduledChange(T2000, date(2024, 1, 1))],
            statuses=[
                StatusChange(START, "active"),
                StatusChange(suspended, "suspended"),
                StatusChange(resumed, "active"),
            ],
        ),
        catalog(),
        date(2023, 12, 1),
        date(2024, 3, 1),
    )
    assert [(line.period.month, line.tier, line.state) for line in lines] == [
        (12, "Tier 2", "active"),
        (1, "Tier 4", "suspended"),
        (2, "Tier 4", "active"),
        (3, "Tier 4", "active"),
    ]


def test_a_cancellation_ends_at_the_end_of_the_current_period_by_default() -> None:
    requested = datetime(2024, 9, 12, 16, 20, tzinfo=UTC)
    ends = cancellation_effective_at("active", requested, at_period_end=True)
    assert ends == datetime(2024, 10, 1, tzinfo=UTC)
    assert cancellation_effective_at("active", requested, at_period_end=False) == requested
    assert cancellation_effective_at("trial", requested, at_period_end=True) == requested
    assert last_billed_period(START, ends) == date(2024, 9, 1)
    assert last_billed_period(None, ends) is None
    lines = timeline(history(ends_at=ends), catalog(), date(2024, 8, 1), date(2024, 12, 1))
    assert [line.period for line in lines] == [date(2024, 8, 1), date(2024, 9, 1)]


def test_only_the_documented_state_transitions_are_allowed() -> None:
    assert transition_refusal("trial", "convert") is None
    assert transition_refusal("active", "convert") is not None
    assert transition_refusal("active", "suspend") is None
    assert transition_refusal("suspended", "resume") is None
    assert transition_refusal("expired", "cancel") is not None
    assert transition_refusal("cancelled", "change_tier") is not None


def test_a_trial_converted_during_a_month_makes_an_active_month_and_ramp_up_counts_from_it() -> None:
    converted = datetime(2023, 12, 20, tzinfo=UTC)
    lines = timeline(
        history(
            statuses=[StatusChange(START, "trial"), StatusChange(converted, "active")],
            ramp_up_first_period=date(2023, 12, 1),
        ),
        catalog(),
        date(2023, 11, 1),
        date(2024, 1, 1),
    )
    assert [(line.period.month, line.state, line.ramp_up, line.commitment_applies) for line in lines] == [
        (11, "trial", False, False),
        (12, "active", True, False),
        (1, "active", False, True),
    ]
