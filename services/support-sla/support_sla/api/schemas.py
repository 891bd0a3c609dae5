"""Request and response schemas of the ticket routes."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from bss.api import examples
from bss.api.input_text import MultiLine, SingleLine
from bss.events.contracts.support import TicketResolution
from bss.events.contracts.value_types import Severity

TicketState = Literal[
    "new", "open", "waiting_on_reseller", "escalated_to_vendor", "temporary_solution_provided", "resolved", "closed"
]
IncidentSummary = Annotated[SingleLine, Field(min_length=1, max_length=200)]
"""One technical issue of a ticket, on one line (an incident's summary column holds 200 characters)."""


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TicketCreate(_Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "subject": "Recovery fails with 'Archive is corrupted'",
                    "description": "All Hyper-V machines fail to recover since Monday.",
                    "product": "Acronis Cyber Protect Cloud",
                    "build_number": "24.3.37719",
                    "severity": "A",
                    "reseller_id": examples.RESELLER_ID,
                }
            ]
        },
    )

    subject: SingleLine = Field(min_length=1, max_length=200)
    description: MultiLine = Field(min_length=1, max_length=20_000)
    product: SingleLine = Field(min_length=1, max_length=200)
    build_number: str | None = Field(default=None, pattern=r"^[0-9]+(\.[0-9]+)*$", max_length=50)
    severity: Severity
    incidents: list[IncidentSummary] = Field(
        default_factory=list, max_length=20, description="One summary per technical issue; default: the subject"
    )
    reseller_id: SingleLine | None = Field(default=None, description="Staff only: the reseller the ticket is for")
    requested_at: AwareDatetime | None = Field(default=None, description="Admin only: backdate (imports)")


MESSAGE_EXAMPLES: dict[str, Any] = {
    "wait_on_reseller": {
        "summary": "Support asks the reseller and waits: the SLA clocks pause",
        "value": {"body": "Please send the logs of the failed job.", "wait_on_reseller": True},
    },
    "reseller_reply": {
        "summary": "The reseller answers: the SLA clocks run again",
        "value": {"body": "The logs of last night's job are attached to the case in the portal."},
    },
}
"""`POST /v1/tickets/{ticket_id}/messages`: a pause and the reply that resumes it."""


class MessageCreate(_Input):
    body: MultiLine = Field(min_length=1, max_length=20_000)
    internal: bool = Field(default=False, description="Staff only: an internal note the reseller never sees")
    wait_on_reseller: bool = Field(default=False, description="Staff only: ask the reseller; the SLA clock pauses")
    requested_at: AwareDatetime | None = None


class SeverityChange(_Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"example": {"severity": "C", "reason": "Only one machine affected; a workaround exists."}},
    )

    severity: Severity
    reason: MultiLine = Field(min_length=1, max_length=4000)
    requested_at: AwareDatetime | None = None


STATE_EXAMPLES: dict[str, Any] = {
    "resolve": {
        "summary": "Resolved, with a workaround",
        "value": {"state": "resolved", "resolution": "workaround"},
    },
    "close": {"summary": "Closed, once resolved", "value": {"state": "closed"}},
}
"""`POST /v1/tickets/{ticket_id}/state`: resolving a ticket, then closing it."""


class StateChange(_Input):
    state: Literal["temporary_solution_provided", "resolved", "closed"]
    resolution: TicketResolution | None = Field(default=None, description="Required to resolve")
    confirmed_defect: bool = Field(default=False, description="A confirmed product defect: no ticket fee")
    requested_at: AwareDatetime | None = None


class EscalationCreate(_Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "example": {
                "symptoms": "Recovery fails on all Hyper-V VMs",
                "error_messages": "Archive is corrupted",
                "steps_to_reproduce": "Recover any VM from last night's backup",
                "expected_outcome": "The VM is recovered",
                "build_number": "24.3.37719",
                "business_impact": "No restore possible for 40 customers",
                "first_occurrence": "First time, since Monday",
                "recent_changes": "Agent updated on Sunday",
                "contact": "ops@reseller.example, +49 30 1234567",
            }
        },
    )

    symptoms: MultiLine | None = None
    error_messages: MultiLine | None = None
    steps_to_reproduce: MultiLine | None = None
    expected_outcome: MultiLine | None = None
    build_number: SingleLine | None = None
    business_impact: MultiLine | None = None
    first_occurrence: MultiLine | None = None
    recent_changes: MultiLine | None = None
    contact: SingleLine | None = None
    requested_at: AwareDatetime | None = None


class CalendarInput(_Input):
    time_zone: SingleLine = Field(default="UTC", description="IANA time zone, e.g. Europe/Berlin")
    working_weekdays: list[int] = Field(default=[0, 1, 2, 3, 4], description="0 = Monday ... 6 = Sunday")
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$", description="Public holidays of this country")
    subdivision: SingleLine | None = Field(default=None, max_length=10, description="... and of this subdivision")
    always_open: bool = Field(default=False, description="24x7: every day is a business day")
    working_hours: SingleLine | None = Field(
        default=None, description="HH:MM-HH:MM local business hours (default: whole business days)"
    )
    closure_days: list[date] = Field(
        default_factory=list, max_length=1000, description="The distributor's own closures: not business days"
    )


class PolicyReapply(_Input):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"reason": "The reseller's calendar was corrected retroactively: its opening week had a holiday"},
                {"reason": "Move the ticket to the targets and calendar in force today", "as_of": "now"},
                {
                    "reason": "Holiday calendar corrected",
                    "calendar": {"time_zone": "Europe/Berlin", "country": "DE", "subdivision": "BY"},
                },
            ]
        },
    )

    reason: MultiLine = Field(min_length=1, max_length=4000)
    as_of: Literal["opening", "now"] = Field(
        default="opening",
        description="Whose settings to re-snapshot: those in force on the day the ticket opened, as recorded now "
        "(default: a calendar, assignment or targets corrected retroactively apply), or those in force today",
    )
    calendar: CalendarInput | None = Field(
        default=None,
        description="An explicit calendar instead of the one assigned to the ticket's reseller (as of `as_of`); "
        "the targets still come from the settings as of `as_of`",
    )


class TicketEventRead(BaseModel):
    id: str
    kind: str
    at: datetime
    actor_role: str
    internal: bool
    body: str | None
    from_severity: str | None
    to_severity: str | None
    state: str | None


class TargetRead(BaseModel):
    target: str
    severity: str
    rule: str
    due_at: datetime | None
    remaining_seconds: int | None
    state: str
    breached_under: str | None = None


class TicketRead(BaseModel):
    id: str
    reseller_id: str
    subject: str
    description: str
    product: str
    build_number: str | None
    severity: Severity
    severity_meaning: str
    state: TicketState
    unsupported_version: bool
    eol_notice: str | None
    opened_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    targets: list[TargetRead]
    as_of: datetime | None = Field(
        default=None,
        description="The instant the severity, state, milestones and targets are shown as of: now, or the `as_of` "
        "asked for (the history recorded up to it only)",
    )
    source: str | None = Field(default=None, description="Imported tickets: the system the ticket came from")
    source_id: str | None = Field(default=None, description="Imported tickets: the ticket's id in that system")


class StepRead(BaseModel):
    kind: str
    detail: str
    at: datetime | None
    seconds: int | None


class TargetExplained(TargetRead):
    warning_at: datetime | None
    met_at: datetime | None
    business_days: bool
    steps: list[StepRead]


class SlaExplanation(BaseModel):
    ticket_id: str
    policy: str
    calendar: str
    calendar_name: str | None = Field(
        default=None, description="The `sla-calendars` setting the ticket's calendar came from (null: explicit)"
    )
    severity: Severity
    as_of: datetime = Field(description="The instant explained: now, or the `as_of` asked for")
    paused: bool
    targets: list[TargetExplained]
