"""Support's settings as data: what a change must respect, and a fresh database's first values.

docs/domain.md, "Support severities and SLA clocks". The kinds and how a day's policy is read:
`adapters/sla_settings.py`; the routes: `bss.api.settings_routes`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bss.effective_settings import SettingKind, SettingVersion
from bss.problems import Conflict
from support_sla.adapters.sla_settings import (
    DEFAULT_SCOPE,
    SLA_CALENDAR_ASSIGNMENTS,
    SLA_CALENDARS,
    SLA_TARGETS,
    STORE,
    CalendarAssignmentValue,
    CalendarValue,
    seed_from_environment,
)
from support_sla.domain.business_calendar import CalendarError
from support_sla.errors import InvalidField
from support_sla.runtime import SupportRuntime

__all__ = ["STORE", "check_sla_setting_change", "seed_settings"]

_ALL = 100_000  # every version of a kind: the settings hold tens to thousands of rows


async def check_sla_setting_change(
    session: AsyncSession, kind: SettingKind[Any], scope: str, value: Any, effective_from: date
) -> None:
    """Refuse a change the SLA clocks could not use, before it is recorded: a calendar the zone database or the
    `holidays` package does not know (422 naming the field), an assignment to a calendar that is not in force
    from its date on (422), and removals that would leave a ticket without a calendar or targets (409)."""
    if kind.name == SLA_CALENDARS.name:
        if isinstance(value, CalendarValue):
            _usable(value)
        else:
            await _not_assigned(session, scope, effective_from)
    elif kind.name == SLA_CALENDAR_ASSIGNMENTS.name:
        if isinstance(value, CalendarAssignmentValue):
            await _calendar_in_force(session, value.calendar, effective_from)
        elif scope == DEFAULT_SCOPE:
            raise Conflict(
                "SLA calendar assignment: * is the calendar of every reseller without its own and cannot be "
                "removed; assign * another calendar instead.",
            )
    elif kind.name == SLA_TARGETS.name and value is None:
        raise Conflict(
            f"SLA targets: severity {scope} always has targets and cannot be removed; set a target's unit to "
            "none for no target.",
        )


def _usable(value: CalendarValue) -> None:
    try:
        value.calendar().validate()
    except CalendarError as exc:
        raise InvalidField(f"value.{exc.field_name}", exc.message) from exc


async def _calendar_in_force(session: AsyncSession, name: str, effective_from: date) -> None:
    """The calendar is in force on `effective_from` and not removed on any later day."""
    versions = await STORE.history(session, kind=SLA_CALENDARS, scope=name, limit=_ALL)
    for day, calendar in _in_force_from(versions, effective_from):
        if calendar is None:
            when = "then" if day == effective_from else f"from {day.isoformat()} on"
            raise InvalidField(
                "value.calendar",
                f"no calendar '{name}' is in force {when} (the assignment is effective from "
                f"{effective_from.isoformat()}); GET /v1/settings/sla-calendars lists them",
            )


async def _not_assigned(session: AsyncSession, name: str, effective_from: date) -> None:
    """No assignment names the calendar on `effective_from` or later (conservatively: any version in force
    then, or taking effect after)."""
    versions = await STORE.history(session, kind=SLA_CALENDAR_ASSIGNMENTS, limit=_ALL)
    by_scope: dict[str, list[SettingVersion[Any]]] = {}
    for version in versions:
        by_scope.setdefault(version.scope, []).append(version)
    naming = sorted(
        scope
        for scope, scoped in by_scope.items()
        if any(
            isinstance(value, CalendarAssignmentValue) and value.calendar == name
            for _day, value in _in_force_from(scoped, effective_from)
        )
    )
    if naming:
        shown = ", ".join(naming[:10]) + (f" and {len(naming) - 10} more" if len(naming) > 10 else "")
        raise Conflict(
            f"SLA calendar: '{name}' is assigned on or after {effective_from.isoformat()} ({shown}); assign "
            "those another calendar first.",
            assigned_to=naming,
        )


def _in_force_from(versions: Sequence[SettingVersion[Any]], since: date) -> list[tuple[date, Any]]:
    """The value of one scope in force on `since` and on every later day one of its versions takes effect (of
    two versions effective the same day, the later recorded wins); None where it has none."""
    ordered = sorted(versions, key=lambda v: (v.effective_from, v.seq))
    days = sorted({since} | {v.effective_from for v in ordered if v.effective_from > since})
    values: list[tuple[date, Any]] = []
    for day in days:
        current = None
        for version in ordered:
            if version.effective_from > day:
                break
            current = version.value
        values.append((day, current))
    return values


async def seed_settings(runtime: SupportRuntime) -> None:
    """On start: a fresh database takes its first SLA settings from the environment (`SUPPORT_SLA_TIME_ZONE`,
    ...) and the Acronis targets; from then on they are data, changed through the admin API."""
    async with runtime.sessions() as session, session.begin():
        await seed_from_environment(session, runtime.settings, runtime.clock.now())
