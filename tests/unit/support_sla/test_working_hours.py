"""The working-hours setting: a named alternative to whole business days (the docs/domain.md default)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from support_sla.domain.business_calendar import BusinessCalendar, CalendarError, parse_working_hours
from support_sla.domain.sla_clock import Pause, SeverityChange, TicketHistory, target_clock
from support_sla.domain.sla_policy import PolicySnapshot, default_policy

BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_FIVE = (time(9), time(17))
OFFICE = BusinessCalendar("Europe/Berlin", frozenset(range(5)), "DE", None, False, NINE_TO_FIVE).validate()
WHOLE_DAYS = BusinessCalendar("Europe/Berlin", frozenset(range(5)), "DE").validate()


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def test_working_hours_start_a_ticket_opened_in_the_evening_at_the_next_opening() -> None:
    assert OFFICE.business_start(local(2024, 3, 4, 20, 0)) == local(2024, 3, 5, 9, 0)  # Monday evening
    assert OFFICE.business_start(local(2024, 3, 4, 8, 0)) == local(2024, 3, 4, 9, 0)  # Monday before opening
    assert OFFICE.business_start(local(2024, 3, 4, 11, 30)) == local(2024, 3, 4, 11, 30)  # inside the hours
    assert OFFICE.business_start(local(2024, 3, 8, 18, 0)) == local(2024, 3, 11, 9, 0)  # Friday evening


def test_whole_business_days_stay_the_default_without_working_hours() -> None:
    assert WHOLE_DAYS.business_start(local(2024, 3, 4, 20, 0)) == local(2024, 3, 4, 20, 0)
    assert WHOLE_DAYS.business_time_between(local(2024, 3, 4, 8, 0), local(2024, 3, 5, 12, 0)) == timedelta(hours=28)


def test_business_time_counts_only_working_hours_of_business_days() -> None:
    # Monday 08:00 to Tuesday 12:00: Monday 09-17 (8 h) and Tuesday 09-12 (3 h).
    assert OFFICE.business_time_between(local(2024, 3, 4, 8, 0), local(2024, 3, 5, 12, 0)) == timedelta(hours=11)
    # Good Friday and the weekend count nothing: Thursday 16:00 to Tuesday 10:00 after Easter Monday.
    assert OFFICE.business_time_between(local(2024, 3, 28, 16, 0), local(2024, 4, 2, 10, 0)) == timedelta(hours=2)


def test_adding_business_time_walks_over_closed_hours_weekends_and_holidays() -> None:
    assert OFFICE.add_business_time(local(2024, 3, 8, 16, 0), timedelta(hours=3)) == local(2024, 3, 11, 11, 0)
    assert OFFICE.add_business_time(local(2024, 3, 28, 16, 0), timedelta(hours=2)) == local(2024, 4, 2, 10, 0)


def test_making_up_paused_time_that_exactly_fills_a_working_day_ends_at_its_closing_time() -> None:
    # Friday 16:00 + 1 h: Friday 17:00, not Monday 09:00.
    assert OFFICE.add_business_time(local(2024, 3, 8, 16, 0), timedelta(hours=1)) == local(2024, 3, 8, 17, 0)


def test_n_business_days_are_due_at_the_same_local_time_after_a_start_moved_to_the_opening() -> None:
    policy = PolicySnapshot(calendar=OFFICE)
    opened = local(2024, 3, 4, 20, 0)  # Monday evening: starts Tuesday 09:00
    history = TicketHistory(opened, (SeverityChange(opened, "A"),), (), {})
    # Start day Tuesday 5 March (not counted); business day 15 is Tuesday 26 March, at the start's 09:00.
    assert target_clock(policy, history, "permanent_resolution", opened).due_at == local(2024, 3, 26, 9, 0)


def test_a_pause_overnight_moves_a_business_day_target_by_the_paused_working_time_only() -> None:
    policy = PolicySnapshot(calendar=OFFICE)
    opened = local(2024, 3, 4, 10, 0)
    plain = TicketHistory(opened, (SeverityChange(opened, "A"),), (), {})
    paused = TicketHistory(
        opened, (SeverityChange(opened, "A"),), (Pause(local(2024, 3, 4, 16, 0), local(2024, 3, 5, 10, 0)),), {}
    )
    before = target_clock(policy, plain, "permanent_resolution", opened).due_at
    after = target_clock(policy, paused, "permanent_resolution", local(2024, 3, 5, 10, 0)).due_at
    assert before is not None
    assert after is not None
    assert after - before == timedelta(hours=2)  # 16-17 Monday and 09-10 Tuesday; the night does not count


def test_working_hours_must_open_before_they_close() -> None:
    with pytest.raises(CalendarError) as refused:
        BusinessCalendar("Europe/Berlin", working_hours=(time(17), time(9))).validate()
    assert refused.value.field_name == "working_hours"
    assert parse_working_hours("08:30-18:00") == (time(8, 30), time(18))
    with pytest.raises(CalendarError):
        parse_working_hours("nine to five")


def test_snapshot_keeps_working_hours_and_reads_older_snapshots_as_whole_days() -> None:
    snapshot = default_policy(time_zone="Europe/Berlin", country="DE", working_hours=NINE_TO_FIVE)
    assert PolicySnapshot.from_json(snapshot.to_json()).calendar.working_hours == NINE_TO_FIVE
    older = snapshot.to_json()
    del older["calendar"]["working_hours"]
    assert PolicySnapshot.from_json(older).calendar.working_hours is None


def test_a_service_refuses_to_start_on_working_hours_that_close_before_they_open(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pydantic import ValidationError

    from support_sla.settings import SupportSLASettings

    monkeypatch.setenv("SUPPORT_SLA_WORKING_HOURS", "17:00-09:00")
    with pytest.raises(ValidationError, match="SUPPORT_SLA_WORKING_HOURS"):
        SupportSLASettings()
