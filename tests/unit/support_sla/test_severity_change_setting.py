"""The severity-change setting: recompute from the opening (docs/domain.md default) or restart at the change."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from zoneinfo import ZoneInfo

from support_sla.domain.sla_clock import Pause, SeverityChange, TicketHistory, target_clock
from support_sla.domain.sla_policy import PolicySnapshot, default_policy

BERLIN = ZoneInfo("Europe/Berlin")
DEFAULT = default_policy(time_zone="Europe/Berlin", country="DE")
RESTART = replace(DEFAULT, severity_change="restart_at_change")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


OPENED = local(2024, 3, 4, 9, 0)  # Monday
RAISED = local(2024, 3, 4, 15, 0)


def raised_to_a(pauses: tuple[Pause, ...] = ()) -> TicketHistory:
    return TicketHistory(OPENED, (SeverityChange(OPENED, "C"), SeverityChange(RAISED, "A")), pauses, {})


def test_by_default_a_raise_to_a_recomputes_from_the_opening_and_is_breached_at_once() -> None:
    clock = target_clock(DEFAULT, raised_to_a(), "first_response", RAISED)
    assert clock.due_at == local(2024, 3, 4, 13, 0)  # 4 h from the opening
    assert clock.state == "breached"


def test_restart_at_change_measures_the_new_severity_from_the_change() -> None:
    clock = target_clock(RESTART, raised_to_a(), "first_response", RAISED)
    assert clock.due_at == local(2024, 3, 4, 19, 0)  # 4 h from the raise
    assert clock.state == "running"


def test_restart_at_change_ignores_pauses_before_the_change_and_keeps_those_after() -> None:
    before = Pause(local(2024, 3, 4, 10, 0), local(2024, 3, 4, 11, 0))
    after = Pause(local(2024, 3, 4, 16, 0), local(2024, 3, 4, 17, 0))
    now = local(2024, 3, 4, 17, 0)
    assert target_clock(RESTART, raised_to_a((before,)), "first_response", now).due_at == local(2024, 3, 4, 19, 0)
    assert target_clock(RESTART, raised_to_a((before, after)), "first_response", now).due_at == local(2024, 3, 4, 20, 0)


def test_restart_at_change_keeps_a_breach_under_the_earlier_severity() -> None:
    late = local(2024, 3, 4, 18, 0)  # C's 8 h first response was due 17:00, before the raise at 18:00
    history = TicketHistory(OPENED, (SeverityChange(OPENED, "C"), SeverityChange(late, "A")), (), {})
    clock = target_clock(RESTART, history, "first_response", late)
    assert clock.state == "breached"
    assert clock.breach is not None
    assert clock.breach.severity == "C"


def test_snapshot_keeps_the_severity_change_setting_and_older_snapshots_read_as_the_default() -> None:
    assert PolicySnapshot.from_json(RESTART.to_json()).severity_change == "restart_at_change"
    older = RESTART.to_json()
    del older["severity_change"]
    assert PolicySnapshot.from_json(older).severity_change == "recompute_from_opening"
