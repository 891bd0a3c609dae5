"""SLA policies: targets per severity, and the snapshot a ticket keeps from its opening.

Default = the Acronis table (seed 002, docs/domain.md): first response 4/4/8/24 h, temporary solution 1/2/3 days
(n/a for D), permanent resolution 15/20 business days for A/B, 30 days for C, next release for D.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta
from typing import Any, Literal, get_args

from bss.events.contracts.support import SlaTarget
from bss.events.contracts.value_types import Severity
from support_sla.domain.business_calendar import MONDAY_TO_FRIDAY, BusinessCalendar

TargetName = SlaTarget
Unit = Literal["hours", "days", "business_days", "none"]

TARGETS: tuple[TargetName, ...] = get_args(SlaTarget)
SEVERITY_MEANINGS: dict[Severity, str] = {
    "A": "Critical: backup systems down or non-operational in key aspects, data loss, no workaround.",
    "B": "High: major product functionality does not work, with critical time sensitivity.",
    "C": "Normal: product functionality is impacted, but most operations continue.",
    "D": "Low: functionality not impacted; how-to, pre-sales, cosmetic or GUI questions.",
}


@dataclass(frozen=True, slots=True)
class TargetRule:
    """One target: an amount of wall-clock hours, 24-hour days, business days, or none (n/a)."""

    unit: Unit
    amount: int = 0

    @property
    def elapsed(self) -> timedelta | None:
        """Hours and days targets are absolute elapsed time: 1 day = 24 h (docs/domain.md clock conventions)."""
        if self.unit == "hours":
            return timedelta(hours=self.amount)
        if self.unit == "days":
            return timedelta(days=self.amount)
        return None

    def describe(self) -> str:
        """The target in words, e.g. '15 business days'."""
        return "n/a" if self.unit == "none" else f"{self.amount} {self.unit.replace('_', ' ')}"


def _rules(first: int, temporary: TargetRule, permanent: TargetRule) -> dict[TargetName, TargetRule]:
    return {
        "first_response": TargetRule("hours", first),
        "temporary_solution": temporary,
        "permanent_resolution": permanent,
    }


NONE = TargetRule("none")
ACRONIS_TARGETS: dict[Severity, dict[TargetName, TargetRule]] = {
    "A": _rules(4, TargetRule("days", 1), TargetRule("business_days", 15)),
    "B": _rules(4, TargetRule("days", 2), TargetRule("business_days", 20)),
    "C": _rules(8, TargetRule("days", 3), TargetRule("days", 30)),
    "D": _rules(24, NONE, NONE),
}


SeverityChangeMode = Literal["recompute_from_opening", "restart_at_change"]


@dataclass(frozen=True, slots=True)
class PolicySnapshot:
    """The policy and calendar a ticket's clocks run on, frozen when the ticket opened."""

    name: str = "acronis-default"
    targets: dict[Severity, dict[TargetName, TargetRule]] = field(default_factory=lambda: ACRONIS_TARGETS)
    calendar: BusinessCalendar = field(default_factory=BusinessCalendar)
    calendar_name: str | None = None  # the `sla-calendars` setting it came from; None: given explicitly or older
    warning_fraction: float = 0.8
    # docs/domain.md default: a severity change recomputes every due time from the opening. The named alternative
    # measures the new severity's targets from the change (pauses before it no longer matter).
    severity_change: SeverityChangeMode = "recompute_from_opening"

    def rule(self, severity: Severity, target: TargetName) -> TargetRule:
        """The target rule of a severity (n/a when the policy has none)."""
        return self.targets.get(severity, {}).get(target, NONE)

    def to_json(self) -> dict[str, Any]:
        """The snapshot as stored on the ticket."""
        cal = self.calendar
        return {
            "name": self.name,
            "warning_fraction": self.warning_fraction,
            "severity_change": self.severity_change,
            "calendar": {
                "name": self.calendar_name,
                "time_zone": cal.time_zone,
                "working_weekdays": sorted(cal.working_weekdays),
                "country": cal.country,
                "subdivision": cal.subdivision,
                "always_open": cal.always_open,
                "working_hours": (
                    None if cal.working_hours is None else [t.isoformat("minutes") for t in cal.working_hours]
                ),
                "closure_days": [day.isoformat() for day in sorted(cal.closure_days)],
            },
            "targets": {
                sev: {t: {"unit": r.unit, "amount": r.amount} for t, r in rules.items()}
                for sev, rules in self.targets.items()
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PolicySnapshot:
        """A snapshot read back from the ticket."""
        cal = data["calendar"]
        return cls(
            name=data["name"],
            warning_fraction=float(data["warning_fraction"]),
            severity_change=data.get("severity_change", "recompute_from_opening"),  # older snapshots: default
            calendar=BusinessCalendar(
                time_zone=cal["time_zone"],
                working_weekdays=frozenset(cal["working_weekdays"]),
                country=cal["country"],
                subdivision=cal["subdivision"],
                always_open=cal["always_open"],
                working_hours=_hours(cal.get("working_hours")),  # absent in snapshots taken before the setting
                # absent in snapshots taken before calendars were data: no closure days
                closure_days=frozenset(date.fromisoformat(day) for day in cal.get("closure_days", ())),
            ),
            calendar_name=cal.get("name"),  # absent before calendars were data: the one service-wide calendar
            targets={
                sev: {t: TargetRule(r["unit"], int(r["amount"])) for t, r in rules.items()}
                for sev, rules in data["targets"].items()
            },
        )


def default_policy(
    *,
    time_zone: str = "UTC",
    country: str | None = None,
    subdivision: str | None = None,
    working_weekdays: frozenset[int] = MONDAY_TO_FRIDAY,
    always_open: bool = False,
    warning_fraction: float = 0.8,
    working_hours: tuple[time, time] | None = None,
    severity_change: SeverityChangeMode = "recompute_from_opening",
) -> PolicySnapshot:
    """The Acronis table on the given calendar (validated), as a new ticket's snapshot (seed 002)."""
    calendar = BusinessCalendar(
        time_zone, working_weekdays, country, subdivision, always_open, working_hours
    ).validate()
    return PolicySnapshot(calendar=calendar, warning_fraction=warning_fraction, severity_change=severity_change)


def _hours(value: list[str] | None) -> tuple[time, time] | None:
    if value is None:
        return None
    opening, closing = value
    return time.fromisoformat(opening), time.fromisoformat(closing)
