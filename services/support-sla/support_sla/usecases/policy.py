"""The SLA policy a new ticket snapshots, from the service's settings."""

from __future__ import annotations

from support_sla.domain.business_calendar import parse_working_hours
from support_sla.domain.sla_policy import PolicySnapshot, default_policy
from support_sla.settings import SupportSLASettings


def configured_policy(settings: SupportSLASettings) -> PolicySnapshot:
    """The policy a new ticket snapshots: the Acronis table on the configured business calendar."""
    s = settings
    return default_policy(
        time_zone=s.sla_time_zone,
        country=s.sla_country,
        subdivision=s.sla_subdivision,
        working_weekdays=frozenset(s.sla_working_weekdays),
        always_open=s.sla_always_open,
        warning_fraction=s.sla_warning_fraction,
        working_hours=parse_working_hours(s.sla_working_hours) if s.sla_working_hours else None,
        severity_change=s.sla_severity_change,
    )
