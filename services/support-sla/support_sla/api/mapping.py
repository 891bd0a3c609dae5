"""Between HTTP and the ticket use cases: request schemas to commands.

The use cases know nothing of these schemas, so the HTTP contract (and its OpenAPI document) changes here only.
A body's `requested_at` is not part of its command: the route hands it to `deps.use_case`, which makes the use
case's instants.
"""

from __future__ import annotations

from support_sla.api.import_schemas import (
    ImportedEscalationStep,
    ImportedMessageStep,
    ImportedSeverityStep,
    ImportedStepInput,
    TicketImport,
)
from support_sla.api.schemas import (
    CalendarInput,
    EscalationCreate,
    MessageCreate,
    PolicyReapply,
    SeverityChange,
    StateChange,
    TicketCreate,
)
from support_sla.domain.ticket_import import (
    ImportedEscalation,
    ImportedMessage,
    ImportedSeverityChange,
    ImportedStateChange,
    ImportedStep,
    ImportedTicket,
)
from support_sla.usecases.ticket_commands import (
    CalendarCorrection,
    ChangeSeverity,
    ChangeState,
    EscalateToVendor,
    OpenTicket,
    PostMessage,
    ReapplyPolicy,
)


def to_open_ticket(body: TicketCreate) -> OpenTicket:
    return OpenTicket(
        subject=body.subject,
        description=body.description,
        product=body.product,
        build_number=body.build_number,
        severity=body.severity,
        incidents=tuple(body.incidents),
        reseller_id=body.reseller_id,
    )


def to_post_message(body: MessageCreate) -> PostMessage:
    return PostMessage(body=body.body, internal=body.internal, wait_on_reseller=body.wait_on_reseller)


def to_change_severity(body: SeverityChange) -> ChangeSeverity:
    return ChangeSeverity(severity=body.severity, reason=body.reason)


def to_change_state(body: StateChange) -> ChangeState:
    return ChangeState(
        state=body.state,
        resolution=body.resolution,
        confirmed_defect=body.confirmed_defect,
    )


def to_escalate_to_vendor(body: EscalationCreate) -> EscalateToVendor:
    return EscalateToVendor(template=body.model_dump(exclude={"requested_at"}))


def _calendar(given: CalendarInput | None) -> CalendarCorrection | None:
    if given is None:
        return None
    return CalendarCorrection(
        time_zone=given.time_zone,
        working_weekdays=tuple(given.working_weekdays),
        country=given.country,
        subdivision=given.subdivision,
        always_open=given.always_open,
        working_hours=given.working_hours,
        closure_days=tuple(given.closure_days),
    )


def to_reapply_policy(body: PolicyReapply) -> ReapplyPolicy:
    return ReapplyPolicy(reason=body.reason, calendar=_calendar(body.calendar), as_of=body.as_of)


UNKNOWN_PRODUCT = "unknown"
"""The product of an imported ticket whose source did not say."""


def to_imported_ticket(body: TicketImport) -> ImportedTicket:
    return ImportedTicket(
        source=body.source,
        source_id=body.source_id,
        reseller_id=body.reseller_id,
        subject=body.subject,
        description=body.description or body.subject,
        product=body.product or UNKNOWN_PRODUCT,
        build_number=body.build_number,
        severity=body.severity,
        opened_at=body.opened_at,
        history=tuple(_imported_step(step) for step in body.history),
    )


def _imported_step(step: ImportedStepInput) -> ImportedStep:
    if isinstance(step, ImportedMessageStep):
        return ImportedMessage(step.at, step.by, step.body, step.internal, step.wait_on_reseller, step.author)
    if isinstance(step, ImportedSeverityStep):
        return ImportedSeverityChange(step.at, step.severity, step.reason, step.author)
    if isinstance(step, ImportedEscalationStep):
        return ImportedEscalation(step.at, step.template.model_dump(), step.author)
    return ImportedStateChange(step.at, step.state, step.resolution, step.confirmed_defect, step.author)
