"""SLA due times (docs/domain.md "SLA clock conventions"): a pure function of the policy snapshot and the history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from bss.events.contracts.value_types import Severity
from support_sla.domain.sla_clock import Pause, SeverityChange, TicketHistory, due_time, target_clock, ticket_clocks
from support_sla.domain.sla_policy import PolicySnapshot, TargetName, TargetRule, default_policy

BERLIN = ZoneInfo("Europe/Berlin")
POLICY = default_policy(time_zone="Europe/Berlin", country="DE")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


def history(
    opened: datetime,
    severity: Severity = "A",
    pauses: tuple[Pause, ...] = (),
    changes: tuple[SeverityChange, ...] = (),
    met: dict[TargetName, datetime] | None = None,
) -> TicketHistory:
    return TicketHistory(opened, (SeverityChange(opened, severity), *changes), pauses, met or {})


def due(h: TicketHistory, target: TargetName, now: datetime | None = None) -> datetime | None:
    return target_clock(POLICY, h, target, now or h.opened_at).due_at


FRIDAY_22 = local(2024, 3, 15, 22, 0)


def test_sev_a_opened_friday_22_local_first_response_due_saturday_02_local() -> None:
    assert due(history(FRIDAY_22), "first_response") == local(2024, 3, 16, 2, 0)


def test_sev_a_permanent_resolution_due_15_business_days_later_skipping_weekends_and_holidays() -> None:
    # Mar 18-22 (5), 25-28 (9; Good Friday 29th), Apr 2-5 (13; Easter Monday 1st), Apr 8 (14), Apr 9 (15).
    assert due(history(FRIDAY_22), "permanent_resolution") == local(2024, 4, 9, 22, 0)


def test_sev_a_temporary_solution_one_day_is_24_elapsed_hours() -> None:
    assert due(history(FRIDAY_22), "temporary_solution") == local(2024, 3, 16, 22, 0)


def test_sev_b_targets_are_4_hours_2_days_and_20_business_days() -> None:
    opened = local(2024, 3, 4, 9, 0)
    h = history(opened, "B")
    assert due(h, "first_response") == opened + timedelta(hours=4)
    assert due(h, "temporary_solution") == opened + timedelta(hours=48)
    assert due(h, "permanent_resolution") == local(2024, 4, 3, 9, 0)  # 20 business days, Easter skipped


def test_sev_c_permanent_resolution_is_30_times_24_hours_not_business_days() -> None:
    opened = local(2024, 3, 4, 9, 0)
    h = history(opened, "C")
    assert due(h, "first_response") == opened + timedelta(hours=8)
    assert due(h, "temporary_solution") == opened + timedelta(hours=72)
    assert due(h, "permanent_resolution") == opened.astimezone(UTC) + timedelta(days=30)


def test_sev_d_has_24_hour_response_and_no_temporary_or_permanent_target() -> None:
    clocks = {c.target: c for c in ticket_clocks(POLICY, history(FRIDAY_22, "D"), FRIDAY_22)}
    assert clocks["first_response"].due_at == FRIDAY_22 + timedelta(hours=24)
    assert clocks["temporary_solution"].state == "not_applicable"
    assert clocks["permanent_resolution"].due_at is None


def test_hour_targets_are_absolute_time_so_local_reading_shifts_across_spring_dst() -> None:
    opened = local(2024, 3, 30, 23, 0)  # CET
    assert due(history(opened), "first_response") == local(2024, 3, 31, 4, 0)  # 4 h later reads 04:00 CEST


def test_hour_targets_are_absolute_time_so_local_reading_shifts_across_autumn_dst() -> None:
    opened = local(2024, 10, 26, 23, 0)  # CEST
    first = due(history(opened), "first_response")
    assert first == opened.astimezone(UTC) + timedelta(hours=4)
    assert first is not None
    assert first.astimezone(BERLIN).hour == 2


def test_business_day_target_keeps_local_time_across_autumn_dst() -> None:
    opened = local(2024, 10, 18, 10, 0)  # Friday CEST
    assert due(history(opened), "permanent_resolution") == local(2024, 11, 8, 10, 0)  # CET


def test_ticket_opened_on_a_weekend_starts_business_days_at_midnight_of_next_business_day() -> None:
    opened = local(2024, 3, 9, 15, 0)  # Saturday
    assert due(history(opened), "permanent_resolution") == local(
        2024, 4, 3, 0, 0
    )  # start day Mon 11th (not counted) + 15, Easter skipped
    assert due(history(opened), "first_response") == local(2024, 3, 9, 19, 0)  # response is 24x7


def test_ticket_opened_on_a_public_holiday_starts_next_business_day() -> None:
    opened = local(2024, 12, 25, 9, 0)  # Christmas; 26th also a holiday; then 27th (Friday)
    assert due(history(opened), "permanent_resolution") == local(2025, 1, 20, 0, 0)


def test_pause_of_three_hours_on_a_business_day_moves_every_running_target_by_three_hours() -> None:
    opened = local(2024, 3, 4, 9, 0)
    paused = history(opened, pauses=(Pause(local(2024, 3, 4, 10, 0), local(2024, 3, 4, 13, 0)),))
    for target in ("first_response", "temporary_solution", "permanent_resolution"):
        before, after = due(history(opened), target), due(paused, target)
        assert before is not None
        assert after is not None
        assert after - before == timedelta(hours=3), target


def test_pause_of_three_hours_over_midnight_to_saturday_moves_business_target_by_working_time_only() -> None:
    opened = local(2024, 3, 4, 9, 0)
    pause = Pause(local(2024, 3, 8, 23, 0), local(2024, 3, 9, 2, 0))  # 1 h Friday, 2 h Saturday
    paused = history(opened, pauses=(pause,))
    assert due(paused, "permanent_resolution") == local(2024, 3, 25, 10, 0)  # 1 h of business time
    assert due(paused, "temporary_solution") == due(history(opened), "temporary_solution")  # it was already due


def test_pause_that_starts_after_the_due_time_changes_nothing() -> None:
    opened = local(2024, 3, 4, 9, 0)
    late = history(opened, pauses=(Pause(local(2024, 3, 4, 14, 0), local(2024, 3, 4, 18, 0)),))
    assert due(late, "first_response") == local(2024, 3, 4, 13, 0)
    assert due(late, "temporary_solution") == local(2024, 3, 5, 13, 0)


def test_pause_across_easter_moves_business_target_by_business_time_walked_over_business_days() -> None:
    opened = local(2024, 3, 25, 12, 0)  # Monday; 15 business days -> Wed Apr 17 12:00 (Easter skipped)
    pause = Pause(local(2024, 3, 28, 12, 0), local(2024, 4, 2, 12, 0))  # 24 h of business time
    assert due(history(opened), "permanent_resolution") == local(2024, 4, 17, 12, 0)
    assert due(history(opened, pauses=(pause,)), "permanent_resolution") == local(2024, 4, 18, 12, 0)


def test_pause_moving_due_past_midnight_skips_the_weekend() -> None:
    opened = local(2024, 2, 16, 20, 0)  # Friday; 15 business days -> Friday Mar 8 20:00
    pause = Pause(local(2024, 2, 19, 9, 0), local(2024, 2, 19, 15, 0))  # 6 h Monday
    assert due(history(opened, pauses=(pause,)), "permanent_resolution") == local(2024, 3, 11, 2, 0)


def test_several_pauses_add_up() -> None:
    opened = local(2024, 3, 4, 9, 0)
    pauses = (
        Pause(local(2024, 3, 4, 9, 30), local(2024, 3, 4, 10, 0)),
        Pause(local(2024, 3, 4, 11, 0), local(2024, 3, 4, 12, 0)),
    )
    assert due(history(opened, pauses=pauses), "first_response") == local(2024, 3, 4, 14, 30)


def test_running_pause_freezes_remaining_time_and_shows_paused() -> None:
    opened = local(2024, 3, 4, 9, 0)
    h = history(opened, pauses=(Pause(local(2024, 3, 4, 10, 0)),))
    clock = target_clock(POLICY, h, "first_response", local(2024, 3, 4, 20, 0))
    assert clock.state == "paused"
    assert clock.remaining == timedelta(hours=3)
    assert clock.due_at == local(2024, 3, 4, 23, 0)


def test_severity_change_recomputes_due_times_from_the_opening_replaying_pauses() -> None:
    opened = local(2024, 3, 4, 9, 0)
    pause = Pause(local(2024, 3, 4, 9, 30), local(2024, 3, 4, 10, 30))
    changed = history(opened, "C", pauses=(pause,), changes=(SeverityChange(local(2024, 3, 4, 11, 0), "A"),))
    clocks = {c.target: c for c in ticket_clocks(POLICY, changed, local(2024, 3, 4, 11, 0))}
    assert clocks["first_response"].severity == "A"
    assert clocks["first_response"].due_at == local(2024, 3, 4, 14, 0)  # 4 h + 1 h pause
    assert clocks["permanent_resolution"].due_at == local(2024, 3, 25, 10, 0)  # 15 business days + 1 h


def test_target_breached_under_an_earlier_severity_stays_breached() -> None:
    opened = local(2024, 3, 4, 9, 0)
    changes = (SeverityChange(local(2024, 3, 4, 14, 0), "C"),)  # A's 4 h passed at 13:00
    clock = target_clock(POLICY, history(opened, "A", changes=changes), "first_response", local(2024, 3, 4, 15, 0))
    assert clock.state == "breached"
    assert clock.breach is not None
    assert clock.breach.severity == "A"
    assert clock.breach.due_at == local(2024, 3, 4, 13, 0)
    assert clock.due_at == local(2024, 3, 4, 17, 0)  # the due time under C is still shown


def test_breach_stays_even_if_the_target_is_met_later() -> None:
    opened = local(2024, 3, 4, 9, 0)
    h = history(opened, met={"first_response": local(2024, 3, 4, 13, 30)})
    assert target_clock(POLICY, h, "first_response", local(2024, 3, 5, 9, 0)).state == "breached"


def test_target_met_before_its_due_time_is_met() -> None:
    opened = local(2024, 3, 4, 9, 0)
    h = history(opened, met={"first_response": local(2024, 3, 4, 12, 0)})
    clock = target_clock(POLICY, h, "first_response", local(2024, 3, 5, 9, 0))
    assert clock.state == "met"
    assert clock.remaining is None


def test_met_target_is_not_breached_by_a_stricter_severity_set_afterwards() -> None:
    opened = local(2024, 3, 4, 9, 0)
    h = history(
        opened,
        "C",
        changes=(SeverityChange(local(2024, 3, 4, 16, 0), "A"),),
        met={"first_response": local(2024, 3, 4, 15, 0)},
    )
    assert target_clock(POLICY, h, "first_response", local(2024, 3, 4, 17, 0)).state == "met"


def test_stricter_severity_whose_due_time_has_passed_is_breached_at_once() -> None:
    opened = local(2024, 3, 4, 9, 0)
    h = history(opened, "C", changes=(SeverityChange(local(2024, 3, 4, 14, 0), "A"),))
    clock = target_clock(POLICY, h, "first_response", local(2024, 3, 4, 14, 0))
    assert clock.state == "breached"
    assert clock.breach is not None
    assert clock.breach.due_at == local(2024, 3, 4, 13, 0)


def test_running_target_reports_remaining_business_time() -> None:
    opened = local(2024, 3, 8, 12, 0)  # Friday
    clock = target_clock(POLICY, history(opened), "permanent_resolution", local(2024, 3, 28, 12, 0))
    assert clock.state == "running"
    assert clock.due_at == local(2024, 4, 2, 12, 0)  # Easter skipped
    assert clock.remaining == timedelta(hours=24)  # Thursday 12 h + Tuesday 12 h


def test_warning_is_at_80_percent_of_the_target() -> None:
    opened = local(2024, 3, 4, 9, 0)
    clock = target_clock(POLICY, history(opened), "first_response", opened)
    assert clock.warning_at == opened + timedelta(hours=3, minutes=12)


def test_warning_of_a_business_day_target_is_80_percent_of_its_business_time() -> None:
    opened = local(2024, 3, 4, 0, 0)  # Monday 00:00; 15 business days = 15 x 24 h of business time
    clock = target_clock(POLICY, history(opened), "permanent_resolution", opened)
    assert clock.warning_at == local(2024, 3, 20, 0, 0)  # after 12 whole business days (Mar 4-19)


def test_explanation_lists_calendar_target_and_pauses() -> None:
    opened = local(2024, 3, 4, 9, 0)
    h = history(opened, pauses=(Pause(local(2024, 3, 4, 10, 0), local(2024, 3, 4, 13, 0)),))
    steps = target_clock(POLICY, h, "permanent_resolution", opened).steps
    assert [s.kind for s in steps] == ["calendar", "target", "pause"]
    assert steps[2].seconds == 3 * 3600
    assert "Europe/Berlin" in steps[0].detail


def test_due_times_come_from_the_snapshot_so_a_later_policy_edit_changes_nothing() -> None:
    stored = POLICY.to_json()
    edited = PolicySnapshot.from_json(stored)
    assert edited == POLICY
    h = history(FRIDAY_22)
    assert ticket_clocks(PolicySnapshot.from_json(stored), h, FRIDAY_22) == ticket_clocks(POLICY, h, FRIDAY_22)


def test_custom_policy_targets_apply() -> None:
    policy = PolicySnapshot(
        targets={"A": {"first_response": TargetRule("hours", 1)}}, calendar=POLICY.calendar, warning_fraction=0.5
    )
    assert due_time(policy, "A", "first_response", FRIDAY_22, (), FRIDAY_22)[0] == FRIDAY_22 + timedelta(hours=1)
    assert due_time(policy, "A", "temporary_solution", FRIDAY_22, (), FRIDAY_22)[0] is None


def test_input_instants_in_any_zone_give_the_same_answer() -> None:
    h_local = history(local(2024, 3, 31, 1, 0), pauses=(Pause(local(2024, 3, 31, 1, 30), local(2024, 3, 31, 3, 30)),))
    h_utc = history(
        datetime(2024, 3, 31, 0, 0, tzinfo=UTC),
        pauses=(Pause(datetime(2024, 3, 31, 0, 30, tzinfo=UTC), datetime(2024, 3, 31, 1, 30, tzinfo=UTC)),),
    )
    assert due(h_local, "first_response") == due(h_utc, "first_response")
    assert due(h_utc, "first_response") == datetime(2024, 3, 31, 5, 0, tzinfo=UTC)
