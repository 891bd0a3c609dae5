"""The SLA policy a ticket snapshots, from support's settings as data (`adapters/sla_settings.py`).

docs/domain.md, "Support severities and SLA clocks": a ticket opened at an instant snapshots the targets in force
on that instant's day and the calendar assigned to its reseller (else to `*`) on that day. The day of an instant,
for the settings, is its UTC date (`settings_day`), as the settings routes' `as_of` is.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bss.problems import Conflict
from support_sla.adapters.sla_settings import calendar_of, targets_on
from support_sla.domain.business_calendar import CalendarError
from support_sla.domain.sla_policy import PolicySnapshot
from support_sla.errors import calendar_problem
from support_sla.settings import SupportSLASettings


def settings_day(instant: datetime) -> date:
    """The day whose settings apply at `instant`: its UTC date."""
    return instant.astimezone(UTC).date()


async def policy_at(session: AsyncSession, settings: SupportSLASettings, reseller_id: str, day: date) -> PolicySnapshot:
    """The policy in force on `day` for the reseller's tickets: that day's targets on the calendar assigned to the
    reseller (else to `*`) that day. The warning fraction and the severity-change mode are the service's
    settings (`SUPPORT_SLA_WARNING_FRACTION`, `SUPPORT_SLA_SEVERITY_CHANGE`)."""
    named = await calendar_of(session, reseller_id, day)
    if named is None:
        raise Conflict(
            f"No SLA calendar is assigned to reseller {reseller_id} or to * on {day.isoformat()}: assign one "
            "(PUT /v1/settings/sla-calendar-assignments/*).",
        )
    try:
        calendar = named.calendar.validate()
    except CalendarError as exc:  # a calendar stored before its zone or country became unknown to this version
        raise calendar_problem(exc) from exc
    return PolicySnapshot(
        name=f"sla-targets as of {day.isoformat()}",
        targets=await targets_on(session, day),
        calendar=calendar,
        calendar_name=named.name,
        warning_fraction=settings.sla_warning_fraction,
        severity_change=settings.sla_severity_change,
    )
