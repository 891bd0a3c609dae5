"""Support's settings as effective-dated data (`bss.effective_settings`): the kinds support owns (named business
calendars, which calendar a reseller's tickets use, the SLA targets per severity), how the policy in force on a
day is read from them, and the environment values a fresh database is seeded with.

docs/domain.md, "Support severities and SLA clocks": a ticket snapshots the targets in force on the day it opened
and the calendar assigned to its reseller (else to `*`) on that day.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, cast

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from sqlalchemy.ext.asyncio import AsyncSession

from bss.api import examples
from bss.effective_settings import InvalidScope, SettingKind, SettingsStore, uuid_or_default
from bss.events.contracts.value_types import Severity
from support_sla.domain.business_calendar import BusinessCalendar, parse_working_hours
from support_sla.domain.sla_policy import ACRONIS_TARGETS, TargetName, TargetRule, Unit
from support_sla.models import setting_versions
from support_sla.settings import SupportSLASettings

DEFAULT_SCOPE = "*"
"""The assignment scope of every reseller without one of its own."""
DEFAULT_CALENDAR = "default"
"""The calendar a fresh database is seeded with, from the `SUPPORT_SLA_*` environment."""
SEED_FROM = date(1970, 1, 1)
"""The effective date of values seeded from the environment: in force for every ticket."""
SEVERITIES: tuple[Severity, ...] = ("A", "B", "C", "D")
MAX_CLOSURE_DAYS = 1000
MAX_TARGET_AMOUNT = 1000
_CALENDAR_NAME = re.compile(r"[a-z0-9][a-z0-9-]{0,59}")
_NAME_RULE = "a calendar name: lower-case letters, digits and '-', up to 60, starting with a letter or digit"


class _Value(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def calendar_name(raw: str) -> str:
    """The canonical (lower-case) calendar name, or `InvalidScope` saying what a name is."""
    name = raw.strip().lower()
    if not _CALENDAR_NAME.fullmatch(name):
        raise InvalidScope(_NAME_RULE + ", e.g. tokyo")
    return name


class CalendarValue(_Value):
    """A business calendar (docs/domain.md, "SLA clock conventions"). The time zone, country and subdivision are
    checked against the zone database and the `holidays` package when the calendar is changed."""

    time_zone: str = Field(
        min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_+\-/]+$", description="IANA time zone, e.g. Asia/Tokyo."
    )
    working_weekdays: list[int] = Field(
        default=[0, 1, 2, 3, 4], max_length=7, description="The working weekdays, 0 = Monday ... 6 = Sunday."
    )
    country: str | None = Field(
        default=None, min_length=2, max_length=2, description="Public holidays of this country (ISO 3166-1 alpha-2)."
    )
    subdivision: str | None = Field(
        default=None, min_length=1, max_length=10, description="... and of this subdivision (ISO 3166-2), e.g. BY."
    )
    working_hours: str | None = Field(
        default=None,
        max_length=20,
        description="HH:MM-HH:MM local business hours; left out: whole business days (the default convention).",
    )
    closure_days: list[date] = Field(
        default_factory=list,
        max_length=MAX_CLOSURE_DAYS,
        description="The distributor's own closures (company holidays): not business days.",
    )
    always_open: bool = Field(default=False, description="24x7: every day is a business day.")

    @field_validator("working_weekdays")
    @classmethod
    def _weekdays(cls, value: list[int]) -> list[int]:
        if any(day not in range(7) for day in value):
            raise ValueError("weekdays are 0 (Monday) to 6 (Sunday)")
        return sorted(set(value))

    @field_validator("country")
    @classmethod
    def _country(cls, value: str | None) -> str | None:
        if value is not None and (not value.isascii() or not value.isalpha()):
            raise ValueError("two letters, e.g. JP")
        return value.upper() if value is not None else None

    @field_validator("working_hours")
    @classmethod
    def _hours(cls, value: str | None) -> str | None:
        if value is None:
            return None
        opening, closing = parse_working_hours(value)  # CalendarError is a ValueError: a 422 naming the field
        return f"{opening:%H:%M}-{closing:%H:%M}"

    @field_validator("closure_days")
    @classmethod
    def _closures(cls, value: list[date]) -> list[date]:
        return sorted(set(value))

    def calendar(self) -> BusinessCalendar:
        """The business calendar this value describes (not yet checked: `BusinessCalendar.validate`)."""
        return BusinessCalendar(
            time_zone=self.time_zone,
            working_weekdays=frozenset(self.working_weekdays),
            country=self.country,
            subdivision=self.subdivision,
            always_open=self.always_open,
            working_hours=parse_working_hours(self.working_hours) if self.working_hours else None,
            closure_days=frozenset(self.closure_days),
        )


class CalendarAssignmentValue(_Value):
    calendar: str = Field(min_length=1, max_length=60, description="The name of a calendar in `sla-calendars`.")

    @field_validator("calendar")
    @classmethod
    def _name(cls, value: str) -> str:
        try:
            return calendar_name(value)
        except InvalidScope as exc:
            raise ValueError(str(exc)) from exc


class TargetValue(_Value):
    """One target, as `PolicySnapshot.to_json` writes it: hours and days are elapsed time, business days follow
    the ticket's calendar, none is no target (n/a)."""

    unit: Unit
    amount: int = Field(default=0, ge=0, le=MAX_TARGET_AMOUNT, description="0 with unit none; else at least 1.")

    @model_validator(mode="after")
    def _amount_fits_the_unit(self) -> TargetValue:
        if self.unit == "none" and self.amount != 0:
            raise ValueError("a target with unit none has amount 0")
        if self.unit != "none" and self.amount < 1:
            raise ValueError(f"a target in {self.unit} needs an amount of at least 1 (unit none: no target)")
        return self

    def rule(self) -> TargetRule:
        return TargetRule(self.unit, self.amount)


class SeverityTargetsValue(_Value):
    first_response: TargetValue
    temporary_solution: TargetValue
    permanent_resolution: TargetValue

    def rules(self) -> dict[TargetName, TargetRule]:
        return {
            "first_response": self.first_response.rule(),
            "temporary_solution": self.temporary_solution.rule(),
            "permanent_resolution": self.permanent_resolution.rule(),
        }

    @classmethod
    def of(cls, rules: dict[TargetName, TargetRule]) -> SeverityTargetsValue:
        return cls.model_validate({name: {"unit": r.unit, "amount": r.amount} for name, r in rules.items()})


def _severity(raw: str) -> str:
    code = raw.upper()
    if code not in SEVERITIES:
        raise InvalidScope("a severity: A, B, C or D")
    return code


SLA_CALENDARS = SettingKind(
    name="sla-calendars",
    title="SLA calendar",
    description=(
        "A named business calendar for the SLA clocks: time zone, working weekdays, the public holidays of a "
        "country (and subdivision), optional working hours, the distributor's own closure days, or 24x7. "
        "Resellers are given one with `sla-calendar-assignments`; a ticket keeps the calendar it opened with."
    ),
    value_type=CalendarValue,
    scope_label="calendar name (lower-case letters, digits and '-', up to 60)",
    normalize_scope=calendar_name,
    example_scope="tokyo",
    example_value={
        "time_zone": "Asia/Tokyo",
        "working_weekdays": [0, 1, 2, 3, 4, 5],
        "country": "JP",
        "subdivision": None,
        "working_hours": None,
        "closure_days": ["2027-12-30", "2027-12-31"],
        "always_open": False,
    },
)
SLA_CALENDAR_ASSIGNMENTS = SettingKind(
    name="sla-calendar-assignments",
    title="SLA calendar assignment",
    description=(
        "Which SLA calendar a reseller's tickets use (`*`: every reseller without its own). The calendar must be "
        "in force from the assignment's effective date on. A ticket uses the assignment in force when it opened."
    ),
    value_type=CalendarAssignmentValue,
    scope_label="reseller id (uuid), or * for every reseller without its own",
    normalize_scope=uuid_or_default("a reseller id"),
    # A reseller's own assignment: `*` may be changed but never removed.
    example_scope=examples.RESELLER_ID,
    example_value={"calendar": "tokyo"},
)
SLA_TARGETS = SettingKind(
    name="sla-targets",
    title="SLA targets",
    description=(
        "A severity's three targets (first response, temporary solution, permanent resolution), each an amount "
        "of hours, days (24 h), business days, or none. A ticket uses the targets in force when it opened."
    ),
    value_type=SeverityTargetsValue,
    scope_label="severity: A, B, C or D",
    normalize_scope=_severity,
    example_scope="A",
    example_value={
        "first_response": {"unit": "hours", "amount": 4},
        "temporary_solution": {"unit": "days", "amount": 1},
        "permanent_resolution": {"unit": "business_days", "amount": 15},
    },
)
KINDS: tuple[SettingKind[Any], ...] = (SLA_CALENDARS, SLA_CALENDAR_ASSIGNMENTS, SLA_TARGETS)
STORE = SettingsStore(setting_versions, KINDS)


@dataclass(frozen=True, slots=True)
class NamedCalendar:
    name: str
    calendar: BusinessCalendar
    assigned_by: str  # the assignment's scope: the reseller id, or `*`


async def targets_on(session: AsyncSession, day: date) -> dict[Severity, dict[TargetName, TargetRule]]:
    """Every severity's targets in force on `day`."""
    versions = await STORE.in_force(session, SLA_TARGETS, day)
    return {cast(Severity, s): v.value.rules() for s, v in versions.items() if v.value is not None}


async def calendar_of(session: AsyncSession, reseller_id: str, day: date) -> NamedCalendar | None:
    """The calendar assigned on `day` to the reseller, else to `*`, as in force that day; None when there is none."""
    try:
        own = str(uuid.UUID(reseller_id))
    except ValueError:
        own = None
    assignment = await STORE.version_of(session, SLA_CALENDAR_ASSIGNMENTS, own, day) if own else None
    if assignment is None:
        assignment = await STORE.version_of(session, SLA_CALENDAR_ASSIGNMENTS, DEFAULT_SCOPE, day)
    if assignment is None or assignment.value is None:
        return None
    name = assignment.value.calendar
    value = await STORE.value_of(session, SLA_CALENDARS, name, day)
    if value is None:
        return None
    return NamedCalendar(name, value.calendar(), assignment.scope)


def environment_calendar(settings: SupportSLASettings) -> CalendarValue:
    """The calendar of the `SUPPORT_SLA_*` environment (checked when the settings were read)."""
    return CalendarValue(
        time_zone=settings.sla_time_zone,
        working_weekdays=list(settings.sla_working_weekdays),
        country=settings.sla_country or None,
        subdivision=settings.sla_subdivision or None,
        working_hours=settings.sla_working_hours or None,
        always_open=settings.sla_always_open,
    )


async def seed_from_environment(session: AsyncSession, settings: SupportSLASettings, now: datetime) -> int:
    """A fresh database's first values (each kind only while it has none): the `default` calendar from the
    `SUPPORT_SLA_*` environment, assigned to `*`, and the Acronis targets; how many were written."""
    seeded = await STORE.seed_if_empty(
        session,
        SLA_CALENDARS,
        {DEFAULT_CALENDAR: environment_calendar(settings)},
        effective_from=SEED_FROM,
        recorded_at=now,
    )
    if await STORE.value_of(session, SLA_CALENDARS, DEFAULT_CALENDAR, SEED_FROM) is not None:
        seeded += await STORE.seed_if_empty(
            session,
            SLA_CALENDAR_ASSIGNMENTS,
            {DEFAULT_SCOPE: CalendarAssignmentValue(calendar=DEFAULT_CALENDAR)},
            effective_from=SEED_FROM,
            recorded_at=now,
        )
    targets: dict[str, SeverityTargetsValue] = {s: SeverityTargetsValue.of(ACRONIS_TARGETS[s]) for s in SEVERITIES}
    seeded += await STORE.seed_if_empty(session, SLA_TARGETS, targets, effective_from=SEED_FROM, recorded_at=now)
    return seeded
