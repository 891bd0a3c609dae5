"""Properties of the SLA clock that must hold for every ticket (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bss.events.contracts.value_types import SEVERITIES
from support_sla.domain.sla_clock import Pause, SeverityChange, TicketHistory, due_time
from support_sla.domain.sla_policy import TARGETS, default_policy

POLICIES = [
    default_policy(time_zone="Europe/Berlin", country="DE"),
    default_policy(time_zone="America/New_York", country="US", subdivision="NY"),
    default_policy(time_zone="Asia/Tokyo", country="JP", working_weekdays=frozenset({0, 1, 2, 3, 4, 5})),
]
# hypothesis takes naive bounds and attaches the zone itself
instants = st.datetimes(
    min_value=datetime(2023, 1, 1),  # noqa: DTZ001
    max_value=datetime(2026, 12, 31),  # noqa: DTZ001
    timezones=st.just(UTC),
)
durations = st.timedeltas(min_value=timedelta(minutes=1), max_value=timedelta(days=12))
policies = st.sampled_from(POLICIES)


@settings(max_examples=150, deadline=None)
@given(policies, instants, st.sampled_from(("A", "B")), st.lists(st.tuples(durations, durations), max_size=3))
def test_business_day_due_time_always_falls_within_a_business_day_or_at_its_close(
    policy, opened, severity, gaps
) -> None:  # type: ignore[no-untyped-def]
    pauses, cursor = [], opened
    for before, length in gaps:
        start = cursor + before
        pauses.append(Pause(start, start + length))
        cursor = start + length
    due, _ = due_time(policy, severity, "permanent_resolution", opened, pauses, cursor)
    assert due is not None
    calendar = policy.calendar
    day = calendar.local_day(due)
    # Paused time made up exactly to a day's end is due at its close (24:00), the next day's 00:00.
    at_close_of_previous = due == calendar.day_start(day) and calendar.is_business_day(day - timedelta(days=1))
    assert calendar.is_business_day(day) or at_close_of_previous


@settings(max_examples=150, deadline=None)
@given(policies, instants, st.sampled_from(SEVERITIES), st.sampled_from(TARGETS), durations, durations)
def test_pauses_never_make_a_due_time_earlier(policy, opened, severity, target, before, length) -> None:  # type: ignore[no-untyped-def]
    start = opened + before
    now = start + length
    plain, _ = due_time(policy, severity, target, opened, (), now)
    paused, _ = due_time(policy, severity, target, opened, (Pause(start, start + length),), now)
    if plain is None:
        assert paused is None
        return
    assert paused is not None
    assert paused >= plain
    # It moves by at most the paused time, counted the way the target counts time.
    counted = (
        policy.calendar.business_time_between(plain, paused)
        if target == "permanent_resolution" and severity in "AB"
        else paused - plain
    )
    assert counted <= length


@settings(max_examples=100, deadline=None)
@given(policies, instants, st.sampled_from(SEVERITIES), st.sampled_from(TARGETS), durations)
def test_a_later_opening_never_gives_an_earlier_due_time(policy, opened, severity, target, delay) -> None:  # type: ignore[no-untyped-def]
    first, _ = due_time(policy, severity, target, opened, (), opened)
    later, _ = due_time(policy, severity, target, opened + delay, (), opened + delay)
    if first is not None and later is not None:
        assert later >= first


@settings(max_examples=100, deadline=None)
@given(policies, instants, st.sampled_from(SEVERITIES), st.sampled_from(TARGETS))
def test_warning_comes_no_later_than_the_due_time(policy, opened, severity, target) -> None:  # type: ignore[no-untyped-def]
    due, _ = due_time(policy, severity, target, opened, (), opened)
    warning, _ = due_time(policy, severity, target, opened, (), opened, fraction=policy.warning_fraction)
    if due is not None:
        assert warning is not None
        assert opened <= warning <= due


def test_history_severity_is_the_latest_change() -> None:
    opened = datetime(2024, 1, 1, tzinfo=UTC)
    history = TicketHistory(opened, (SeverityChange(opened, "A"), SeverityChange(opened + timedelta(hours=1), "C")))
    assert history.severity == "C"
