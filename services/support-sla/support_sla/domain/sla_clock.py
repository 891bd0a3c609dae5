"""SLA due times: a pure function of the ticket's policy snapshot and its event history.

The rules are docs/domain.md's "SLA clock conventions" (seeds 000 and 002):
- hour and day targets are absolute elapsed time from the opening;
- N business days is the same local time of day on the N-th business day after the start day, and a ticket
  opened on a non-business day starts at 00:00 of the next business day;
- a pause (waiting on the reseller) that starts before a target's current due time moves it by the paused
  time: elapsed time for hour/day targets, the paused time on business days (walked forward over business
  days) for business-day targets; a pause that starts at or after the due time changes nothing;
- a severity change recomputes every due time from the opening under the new severity, replaying all pauses,
  and a target breached under an earlier severity stays breached.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Literal

from bss.events.contracts.value_types import Severity
from support_sla.domain.sla_policy import TARGETS, PolicySnapshot, TargetName, TargetRule

TargetState = Literal["met", "running", "paused", "breached", "not_applicable"]


@dataclass(frozen=True, slots=True)
class Pause:
    """Time the ticket waited on the reseller; `end` is None while it still waits."""

    start: datetime
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class SeverityChange:
    """The ticket's severity from `at` on (the first one is the opening severity, at the opening)."""

    at: datetime
    severity: Severity
    reason: str | None = None


@dataclass(frozen=True, slots=True)
class TicketHistory:
    """What the due times depend on besides the policy snapshot."""

    opened_at: datetime
    severities: Sequence[SeverityChange]
    pauses: Sequence[Pause] = ()
    met: Mapping[TargetName, datetime] = field(default_factory=dict)

    @property
    def severity(self) -> Severity:
        """The severity in force now: the latest change."""
        return self.severities[-1].severity


@dataclass(frozen=True, slots=True)
class Step:
    """One step of the explanation of a due time."""

    kind: str
    detail: str
    at: datetime | None = None
    seconds: int | None = None


@dataclass(frozen=True, slots=True)
class Breach:
    """A target that passed its due time unmet, under the severity of that time."""

    severity: Severity
    due_at: datetime


@dataclass(frozen=True, slots=True)
class TargetClock:
    """One target of a ticket now: due and warning times, state, remaining time, and how it was computed."""

    target: TargetName
    severity: Severity
    rule: str
    business_days: bool
    due_at: datetime | None
    warning_at: datetime | None
    state: TargetState
    remaining: timedelta | None
    met_at: datetime | None
    breach: Breach | None
    steps: tuple[Step, ...]


Mover = Callable[[datetime, datetime, datetime], datetime]


def _base_due(
    snapshot: PolicySnapshot, rule: TargetRule, opened_at: datetime, fraction: float, steps: list[Step]
) -> tuple[datetime, Mover]:
    calendar = snapshot.calendar
    elapsed = rule.elapsed
    if elapsed is not None:
        steps.append(Step("target", f"{rule.describe()} of elapsed time from {opened_at.isoformat()}", opened_at))
        due = opened_at + elapsed * fraction
        return due, lambda due, start, end: due + (end - start)
    start = calendar.business_start(opened_at)
    if start != opened_at:
        steps.append(Step("start", "opened on a non-business day: starts 00:00 of the next business day", start))
    full = calendar.add_business_days(start, rule.amount)
    steps.append(Step("target", f"{rule.describe()}: same local time on the business day {rule.amount} after", full))
    if fraction < 1:
        due = calendar.add_business_time(start, calendar.business_time_between(start, full) * fraction)
    else:
        due = full

    def move(due: datetime, pause_start: datetime, pause_end: datetime) -> datetime:
        """Only the paused time on business days moves a business-day target, walked over business days."""
        return calendar.add_business_time(due, calendar.business_time_between(pause_start, pause_end))

    return due, move


def due_time(
    snapshot: PolicySnapshot,
    severity: Severity,
    target: TargetName,
    opened_at: datetime,
    pauses: Sequence[Pause],
    now: datetime,
    *,
    fraction: float = 1.0,
) -> tuple[datetime | None, list[Step]]:
    """When `target` is due under `severity` from the opening, every pause replayed (docs/domain.md conventions).

    A pause still running counts until `now`, so the due time of a paused ticket is where it would be if
    the reseller answered now. `fraction` < 1 gives the warning time (the same share of the target).
    """
    rule = snapshot.rule(severity, target)
    opened_at, now = opened_at.astimezone(UTC), now.astimezone(UTC)
    pauses = [Pause(p.start.astimezone(UTC), p.end.astimezone(UTC) if p.end else None) for p in pauses]
    if rule.unit == "none":
        return None, [Step("not_applicable", f"severity {severity} has no {target.replace('_', ' ')} target")]
    steps: list[Step] = []
    due, move = _base_due(snapshot, rule, opened_at, fraction, steps)
    for pause in sorted(pauses, key=lambda p: p.start):
        end = pause.end if pause.end is not None else max(now, pause.start)
        if pause.start >= due:
            steps.append(Step("pause_ignored", "pause started at or after the due time", pause.start))
            continue
        moved = move(due, pause.start, end)
        counted = int((moved - due).total_seconds())
        steps.append(Step("pause", f"paused {pause.start.isoformat()} to {end.isoformat()}", moved, counted))
        due = moved
    return due, steps


def _measured_from(
    snapshot: PolicySnapshot, history: TicketHistory, change_at: datetime
) -> tuple[datetime, list[Pause]]:
    """Where a severity's targets are measured from, and the pauses that count: the opening and every pause
    (default), or the severity change and only the paused time after it (setting `restart_at_change`)."""
    if snapshot.severity_change != "restart_at_change" or change_at <= history.opened_at:
        return history.opened_at, list(history.pauses)
    pauses = [Pause(max(p.start, change_at), p.end) for p in history.pauses if p.end is None or p.end > change_at]
    return change_at, pauses


def _segments(history: TicketHistory, now: datetime) -> list[tuple[SeverityChange, datetime]]:
    changes = sorted(history.severities, key=lambda c: c.at)
    ends = [c.at for c in changes[1:]] + [now]
    return list(zip(changes, ends, strict=True))


def _first_breach(
    snapshot: PolicySnapshot, history: TicketHistory, target: TargetName, now: datetime, steps: list[Step]
) -> Breach | None:
    met_at = history.met.get(target)
    for change, horizon in _segments(history, now):
        if met_at is not None and change.at > met_at:
            break  # met before this severity applied: later severities cannot breach it
        start, pauses = _measured_from(snapshot, history, change.at)
        due, _ = due_time(snapshot, change.severity, target, start, pauses, now)
        if due is None:
            continue
        if due <= horizon and (met_at is None or met_at > due):
            steps.append(Step("breached", f"breached under severity {change.severity}", due))
            return Breach(change.severity, due)
        if change.at != history.opened_at:
            how = "restarted at the change" if start == change.at else "recomputed from the opening"
            steps.append(Step("severity_change", f"severity {change.severity}: {how}", change.at))
    return None


def _remaining(snapshot: PolicySnapshot, rule: TargetRule, due: datetime, now: datetime) -> timedelta:
    if rule.unit == "business_days":
        return snapshot.calendar.business_time_between(now, due)
    return max(timedelta(0), due - now)


def _in_utc(history: TicketHistory) -> TicketHistory:
    # Aware datetimes sharing a tzinfo compare and subtract by wall time: every instant goes to UTC first.
    return TicketHistory(
        opened_at=history.opened_at.astimezone(UTC),
        severities=[SeverityChange(c.at.astimezone(UTC), c.severity, c.reason) for c in history.severities],
        pauses=[Pause(p.start.astimezone(UTC), p.end.astimezone(UTC) if p.end else None) for p in history.pauses],
        met={target: at.astimezone(UTC) for target, at in history.met.items()},
    )


def target_clock(snapshot: PolicySnapshot, history: TicketHistory, target: TargetName, now: datetime) -> TargetClock:
    """One target's due time, warning time, state and explanation as of `now` (docs/domain.md conventions)."""
    history, now = _in_utc(history), now.astimezone(UTC)
    severity = history.severity
    rule = snapshot.rule(severity, target)
    steps = [Step("calendar", snapshot.calendar.describe())]
    breach = _first_breach(snapshot, history, target, now, steps)
    current = max(history.severities, key=lambda change: change.at)
    start, pauses = _measured_from(snapshot, history, current.at)
    due, due_steps = due_time(snapshot, severity, target, start, pauses, now)
    warning, _ = due_time(snapshot, severity, target, start, pauses, now, fraction=snapshot.warning_fraction)
    steps.extend(due_steps)
    met_at = history.met.get(target)
    paused = bool(history.pauses) and history.pauses[-1].end is None
    state: TargetState
    remaining = None
    if due is None:
        state = "not_applicable"
    elif breach is not None:
        state = "breached"
    elif met_at is not None:
        state = "met"
    else:
        state = "paused" if paused else "running"
        remaining = _remaining(snapshot, rule, due, now)
    return TargetClock(
        target=target,
        severity=severity,
        rule=rule.describe(),
        business_days=rule.unit == "business_days",
        due_at=due,
        warning_at=warning,
        state=state,
        remaining=remaining,
        met_at=met_at,
        breach=breach,
        steps=tuple(steps),
    )


def ticket_clocks(snapshot: PolicySnapshot, history: TicketHistory, now: datetime) -> tuple[TargetClock, ...]:
    """Every target of a ticket as of `now`: a pure function of (snapshot, event history, now)."""
    return tuple(target_clock(snapshot, history, target, now) for target in TARGETS)
