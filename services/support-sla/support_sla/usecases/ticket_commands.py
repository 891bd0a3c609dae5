"""What the ticket use cases are asked to do: one frozen command per use case, free of HTTP schemas.

`requested_at` is not part of a command: it makes the use case's instants (`SupportUseCase.instants`, resolved by
the api with `bss.api.backdating.resolve_instants`), which the use case checks against the ticket (an admin may
backdate, but never to before the ticket was opened).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from bss.events.contracts.value_types import Severity
from support_sla.domain.ticket_lifecycle import ChosenState

PolicyAsOf = Literal["opening", "now"]


@dataclass(frozen=True, slots=True)
class OpenTicket:
    subject: str
    description: str
    product: str
    build_number: str | None
    severity: Severity
    incidents: tuple[str, ...]  # one summary per technical issue; none: the subject
    reseller_id: str | None  # staff name the reseller; a reseller opens for itself


@dataclass(frozen=True, slots=True)
class PostMessage:
    body: str
    internal: bool  # an internal note the reseller never sees
    wait_on_reseller: bool  # ask the reseller; the SLA clock pauses


@dataclass(frozen=True, slots=True)
class ChangeSeverity:
    severity: Severity
    reason: str


@dataclass(frozen=True, slots=True)
class ChangeState:
    state: ChosenState
    resolution: str | None  # required to resolve
    confirmed_defect: bool


@dataclass(frozen=True, slots=True)
class EscalateToVendor:
    template: dict[str, str | None]  # the escalation template's fields (domain/escalation.py), as given


@dataclass(frozen=True, slots=True)
class CalendarCorrection:
    time_zone: str
    working_weekdays: tuple[int, ...]  # 0 = Monday
    country: str | None
    subdivision: str | None
    always_open: bool
    working_hours: str | None  # HH:MM-HH:MM
    closure_days: tuple[date, ...] = ()


@dataclass(frozen=True, slots=True)
class ReapplyPolicy:
    reason: str
    calendar: CalendarCorrection | None  # None: the calendar assigned to the ticket's reseller as of `as_of`
    as_of: PolicyAsOf = "opening"  # the settings in force on the ticket's opening day (as recorded now), or today
