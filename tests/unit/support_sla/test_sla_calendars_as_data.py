"""SLA calendars and targets as data: closure days, the snapshot recording the calendar's name and closures, and
the values the settings accept (docs/domain.md, "Support severities and SLA clocks", "SLA clock conventions")."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from pydantic import ValidationError

from bss.effective_settings import InvalidScope, SettingVersion
from support_sla.adapters.sla_settings import (
    SLA_CALENDAR_ASSIGNMENTS,
    SLA_CALENDARS,
    SLA_TARGETS,
    CalendarAssignmentValue,
    CalendarValue,
    SeverityTargetsValue,
    TargetValue,
    environment_calendar,
)
from support_sla.domain.business_calendar import BusinessCalendar, CalendarError
from support_sla.domain.sla_clock import Pause, due_time
from support_sla.domain.sla_policy import ACRONIS_TARGETS, PolicySnapshot
from support_sla.settings import SupportSLASettings
from support_sla.usecases.settings import _in_force_from

TOKYO = BusinessCalendar("Asia/Tokyo", frozenset(range(6)), "JP")
CLOSED = BusinessCalendar("Europe/Berlin", country="DE", closure_days=frozenset({date(2024, 3, 12), date(2024, 3, 13)}))
MONDAY_9_BERLIN = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)


def test_closure_days_are_not_business_days() -> None:
    assert not CLOSED.is_business_day(date(2024, 3, 12))  # a Tuesday the distributor is closed
    assert not CLOSED.is_business_day(date(2024, 3, 13))
    assert CLOSED.is_business_day(date(2024, 3, 14))
    assert CLOSED.next_business_day(date(2024, 3, 11)) == date(2024, 3, 14)


def test_closure_days_n_business_day_targets_skip_them() -> None:
    plain = BusinessCalendar("Europe/Berlin", country="DE")
    # 15 business days from Monday 2024-03-04: 2024-03-25 without closures, two days later with two closure days
    assert plain.add_business_days(MONDAY_9_BERLIN, 15) == datetime(2024, 3, 25, 8, 0, tzinfo=UTC)
    assert CLOSED.add_business_days(MONDAY_9_BERLIN, 15) == datetime(2024, 3, 27, 8, 0, tzinfo=UTC)
    policy = PolicySnapshot(calendar=CLOSED)
    due, _ = due_time(policy, "A", "permanent_resolution", MONDAY_9_BERLIN, (), MONDAY_9_BERLIN)
    assert due == datetime(2024, 3, 27, 8, 0, tzinfo=UTC)
    # a paused business day is made up over business days alone: the pause on Monday 11th ends at its close,
    # and the day it is made up on is the 14th (the 12th and 13th are closed)
    pause = Pause(datetime(2024, 3, 10, 23, 0, tzinfo=UTC), datetime(2024, 3, 11, 23, 0, tzinfo=UTC))
    moved, _ = due_time(policy, "A", "permanent_resolution", MONDAY_9_BERLIN, (pause,), MONDAY_9_BERLIN)
    assert moved == datetime(2024, 3, 28, 8, 0, tzinfo=UTC)


def test_closure_days_a_ticket_opened_on_one_starts_on_the_next_business_day() -> None:
    opened = datetime(2024, 3, 12, 10, 0, tzinfo=UTC)  # inside the closure
    assert CLOSED.business_start(opened) == datetime(2024, 3, 13, 23, 0, tzinfo=UTC)  # Thursday 00:00 CET


def test_closure_days_are_shown_in_the_calendar_description() -> None:
    assert "closed on 2024-03-12, 2024-03-13" in CLOSED.describe()


def test_closure_days_on_a_24x7_calendar_are_refused_naming_the_field() -> None:
    with pytest.raises(CalendarError) as raised:
        BusinessCalendar(always_open=True, closure_days=frozenset({date(2024, 3, 12)})).validate()
    assert raised.value.field_name == "closure_days"


def test_snapshot_json_round_trip_keeps_the_calendar_name_and_closure_days() -> None:
    snapshot = PolicySnapshot(name="sla-targets as of 2024-03-04", calendar=CLOSED, calendar_name="berlin-office")
    stored = snapshot.to_json()
    assert stored["calendar"]["name"] == "berlin-office"
    assert stored["calendar"]["closure_days"] == ["2024-03-12", "2024-03-13"]
    assert PolicySnapshot.from_json(stored) == snapshot


def test_snapshot_json_taken_before_calendars_were_data_still_loads() -> None:
    older = PolicySnapshot(calendar=BusinessCalendar("Europe/Berlin", country="DE")).to_json()
    del older["calendar"]["name"]
    del older["calendar"]["closure_days"]
    loaded = PolicySnapshot.from_json(older)
    assert loaded.calendar_name is None
    assert loaded.calendar.closure_days == frozenset()
    assert loaded.calendar == BusinessCalendar("Europe/Berlin", country="DE")


def test_calendar_value_is_the_business_calendar_with_its_closures() -> None:
    value = CalendarValue(
        time_zone="Asia/Tokyo",
        working_weekdays=[5, 0, 1, 2, 3, 4, 4],
        country="jp",
        closure_days=[date(2024, 12, 31), date(2024, 12, 30)],
    )
    assert value.working_weekdays == [0, 1, 2, 3, 4, 5]
    assert value.country == "JP"
    assert value.closure_days == [date(2024, 12, 30), date(2024, 12, 31)]
    assert value.calendar() == BusinessCalendar(
        "Asia/Tokyo", frozenset(range(6)), "JP", closure_days=frozenset({date(2024, 12, 30), date(2024, 12, 31)})
    )


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ({"time_zone": "Asia/Tokyo", "working_weekdays": [0, 7]}, "working_weekdays"),
        ({"time_zone": "Asia/Tokyo", "working_hours": "17:00-09:00"}, "working_hours"),
        ({"time_zone": "Asia/Tokyo", "working_hours": "9 to 5"}, "working_hours"),
        ({"time_zone": "../etc/passwd"}, "time_zone"),
        ({"time_zone": "Asia/Tokyo", "country": "J1"}, "country"),
        ({"time_zone": "Asia/Tokyo", "holidays": "JP"}, "holidays"),
    ],
)
def test_calendar_value_refuses_a_bad_field_naming_it(value: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as raised:
        CalendarValue.model_validate(value)
    assert [error["loc"][0] for error in raised.value.errors()] == [field]


def test_calendar_names_and_assignment_scopes_are_canonical() -> None:
    assert SLA_CALENDARS.scope(" Tokyo-2 ") == "tokyo-2"
    assert CalendarAssignmentValue(calendar="Tokyo").calendar == "tokyo"
    with pytest.raises(InvalidScope):
        SLA_CALENDARS.scope("-tokyo")
    with pytest.raises(InvalidScope):
        SLA_CALENDARS.scope("tokyo_office")
    assert SLA_CALENDAR_ASSIGNMENTS.scope("*") == "*"
    reseller = "8D6F7A8E-0C9B-4E55-9E3E-0D4A1B2C3D4E"
    assert SLA_CALENDAR_ASSIGNMENTS.scope(reseller) == reseller.lower()
    with pytest.raises(InvalidScope):
        SLA_CALENDAR_ASSIGNMENTS.scope("reseller-1")
    assert SLA_TARGETS.scope("b") == "B"
    with pytest.raises(InvalidScope):
        SLA_TARGETS.scope("E")


def test_sla_targets_value_is_the_snapshot_shape_and_the_acronis_table_round_trips() -> None:
    for severity, rules in ACRONIS_TARGETS.items():
        value = SeverityTargetsValue.of(rules)
        assert value.rules() == rules, severity
        assert value.model_dump(mode="json") == PolicySnapshot().to_json()["targets"][severity]


@pytest.mark.parametrize(("unit", "amount"), [("none", 3), ("hours", 0), ("weeks", 1), ("days", 1001)])
def test_sla_targets_value_refuses_an_amount_that_does_not_fit_its_unit(unit: str, amount: int) -> None:
    with pytest.raises(ValidationError):
        TargetValue.model_validate({"unit": unit, "amount": amount})


def test_seed_calendar_is_the_environment_calendar() -> None:
    settings = SupportSLASettings(
        sla_time_zone="Asia/Tokyo",
        sla_country="JP",
        sla_working_weekdays=[0, 1, 2, 3, 4, 5],
        sla_working_hours="09:00-18:00",
    )
    seed = environment_calendar(settings)
    assert (seed.time_zone, seed.country, seed.working_weekdays, seed.working_hours) == (
        "Asia/Tokyo",
        "JP",
        [0, 1, 2, 3, 4, 5],
        "09:00-18:00",
    )
    assert seed.closure_days == []


def _version(seq: int, effective: date, calendar: str | None) -> SettingVersion[Any]:
    value = CalendarAssignmentValue(calendar=calendar) if calendar else None
    return SettingVersion(seq, "k", "*", value, None, effective, datetime(2024, 1, 1, tzinfo=UTC), "me", None)


def test_sla_settings_guard_reads_the_values_from_a_day_on_with_the_later_recorded_winning_a_day() -> None:
    versions = [
        _version(1, date(2024, 1, 1), "berlin"),
        _version(2, date(2024, 6, 1), None),
        _version(4, date(2024, 9, 1), "tokyo"),
        _version(3, date(2024, 9, 1), "osaka"),  # recorded before seq 4: seq 4 wins on 2024-09-01
    ]
    seen = [(day, value.calendar if value else None) for day, value in _in_force_from(versions, date(2024, 3, 1))]
    assert seen == [(date(2024, 3, 1), "berlin"), (date(2024, 6, 1), None), (date(2024, 9, 1), "tokyo")]
    assert _in_force_from(versions, date(2023, 1, 1))[0] == (date(2023, 1, 1), None)
