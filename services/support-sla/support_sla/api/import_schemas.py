"""Request and response schemas of the ticket import (`POST /v1/imports/tickets`)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, AwareDatetime, BaseModel, ConfigDict, Field, model_validator

from bss.api import examples
from bss.api.input_text import MultiLine, SingleLine
from bss.events.contracts.support import TicketResolution
from bss.events.contracts.value_types import Severity
from support_sla.domain.ticket_import import MAX_HISTORY_STEPS, MAX_STEPS_PER_IMPORT, MAX_TICKETS_PER_IMPORT


def _in_utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # year 1 with a positive offset is before what a datetime holds in UTC
        raise ValueError("out of the range of instants") from exc


Instant = Annotated[AwareDatetime, AfterValidator(_in_utc)]
"""An instant with its offset (RFC 3339); a time without one is refused."""
Author = Annotated[SingleLine | None, Field(max_length=200, description="Who wrote or did it, in the source system")]


class _Input(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ImportedMessageStep(_Input):
    kind: Literal["message"]
    at: Instant
    by: Literal["reseller", "support"] = Field(description="Who wrote it: the reseller, or support staff")
    body: MultiLine = Field(min_length=1, max_length=20_000)
    internal: bool = Field(default=False, description="Support only: an internal note the reseller never saw")
    wait_on_reseller: bool = Field(
        default=False,
        description="Support only: asked the reseller and waited (the SLA clock paused until the "
        "reseller's next message or a change of state)",
    )
    author: Author = None


class ImportedSeverityStep(_Input):
    kind: Literal["severity_change"]
    at: Instant
    severity: Severity
    reason: MultiLine = Field(min_length=1, max_length=4000)
    author: Author = None


class EscalationTemplateInput(_Input):
    symptoms: MultiLine | None = Field(default=None, max_length=20_000)
    error_messages: MultiLine | None = Field(default=None, max_length=20_000)
    steps_to_reproduce: MultiLine | None = Field(default=None, max_length=20_000)
    expected_outcome: MultiLine | None = Field(default=None, max_length=20_000)
    build_number: SingleLine | None = Field(default=None, max_length=50)
    business_impact: MultiLine | None = Field(default=None, max_length=20_000)
    first_occurrence: MultiLine | None = Field(default=None, max_length=20_000)
    recent_changes: MultiLine | None = Field(default=None, max_length=20_000)
    contact: SingleLine | None = Field(default=None, max_length=200)


class ImportedEscalationStep(_Input):
    kind: Literal["escalation"]
    at: Instant
    template: EscalationTemplateInput = Field(description="The escalation template, every field filled in")
    author: Author = None


class ImportedStateStep(_Input):
    kind: Literal["state_change"]
    at: Instant
    state: Literal["temporary_solution_provided", "resolved", "closed"]
    resolution: TicketResolution | None = Field(default=None, description="Required to resolve")
    confirmed_defect: bool = Field(default=False, description="At resolution: a confirmed product defect")
    author: Author = None


ImportedStepInput = Annotated[
    ImportedMessageStep | ImportedSeverityStep | ImportedEscalationStep | ImportedStateStep,
    Field(discriminator="kind"),
]


class TicketImport(_Input):
    source: str = Field(
        min_length=1,
        max_length=60,
        pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$",
        description="The system the ticket comes from (letters, digits, '.', '_', '-'; read in lower case)",
    )
    source_id: SingleLine = Field(min_length=1, max_length=200, description="The ticket's id in that system")
    reseller_id: SingleLine = Field(min_length=1, max_length=100, description="The reseller the ticket is for")
    subject: SingleLine = Field(min_length=1, max_length=200)
    description: MultiLine | None = Field(
        default=None, min_length=1, max_length=20_000, description="Default: the subject"
    )
    product: SingleLine | None = Field(default=None, min_length=1, max_length=200, description="Default: unknown")
    build_number: str | None = Field(default=None, pattern=r"^[0-9]+(\.[0-9]+)*$", max_length=50)
    severity: Severity = Field(description="The severity the ticket was opened with")
    opened_at: Instant
    history: list[ImportedStepInput] = Field(
        default_factory=list,
        max_length=MAX_HISTORY_STEPS,
        description=f"Everything that happened to the ticket, in time order (at most {MAX_HISTORY_STEPS} steps)",
    )

    @model_validator(mode="after")
    def _source_in_lower_case(self) -> TicketImport:
        self.source = self.source.lower()
        return self


_EXAMPLE: dict[str, Any] = {
    "tickets": [
        {
            "source": "zendesk",
            "source_id": "48213",
            "reseller_id": examples.RESELLER_ID,
            "subject": "Recovery fails with 'Archive is corrupted'",
            "severity": "B",
            "opened_at": "2025-02-05T09:12:00+01:00",
            "history": [
                {
                    "kind": "message",
                    "at": "2025-02-05T10:02:00+01:00",
                    "by": "support",
                    "body": "Which build is the agent on?",
                    "wait_on_reseller": True,
                },
                {"kind": "message", "at": "2025-02-05T13:40:00+01:00", "by": "reseller", "body": "24.3.37719"},
                {"kind": "severity_change", "at": "2025-02-06T08:00:00+01:00", "severity": "A", "reason": "Data loss"},
                {
                    "kind": "state_change",
                    "at": "2025-02-08T16:30:00+01:00",
                    "state": "resolved",
                    "resolution": "solved",
                },
                {"kind": "state_change", "at": "2025-02-12T09:00:00+01:00", "state": "closed"},
            ],
        }
    ]
}


class TicketImportBatch(_Input):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [_EXAMPLE]})

    tickets: list[TicketImport] = Field(
        min_length=1,
        max_length=MAX_TICKETS_PER_IMPORT,
        description=f"At most {MAX_TICKETS_PER_IMPORT} tickets, and {MAX_STEPS_PER_IMPORT} history steps in all",
    )

    @model_validator(mode="after")
    def _steps_in_all(self) -> TicketImportBatch:
        steps = sum(len(ticket.history) for ticket in self.tickets)
        if steps > MAX_STEPS_PER_IMPORT:
            raise ValueError(f"{steps} history steps in all: at most {MAX_STEPS_PER_IMPORT} per import; split it")
        return self


class FieldErrorRead(BaseModel):
    field: str
    message: str


class ImportProblemRead(BaseModel):
    """Why a ticket was refused or is in conflict, as the problem+json it would have been alone."""

    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldErrorRead] = Field(default_factory=list)


class ImportLineRead(BaseModel):
    index: int = Field(description="The ticket's position in the request")
    source: str
    source_id: str
    status: Literal["created", "unchanged", "conflict", "refused"] = Field(
        description="created (in a dry run: would be); unchanged: imported before with the same content; "
        "conflict: imported before with other content (not changed); refused: breaks a rule (nothing written)"
    )
    ticket_id: str | None = Field(
        description="The ticket created (null in a dry run), found unchanged, or the conflict is with"
    )
    problem: ImportProblemRead | None = Field(description="Why, for a conflict or a refusal")


class TicketImportRead(BaseModel):
    dry_run: bool
    created: int
    unchanged: int
    conflict: int
    refused: int
    lines: list[ImportLineRead]
