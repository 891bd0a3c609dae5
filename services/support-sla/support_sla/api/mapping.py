"""Between HTTP and the ticket use cases: request schemas to commands.

The use cases know nothing of these schemas, so the HTTP contract (and its OpenAPI document) changes here only.
A body's `requested_at` is not part of its command: the route hands it to `deps.use_case`, which makes the use
case's instants.
"""

from __future__ import annotations

from support_sla.api.schemas import (
    CalendarInput,
    EscalationCreate,
    MessageCreate,
    PolicyReapply,
    SeverityChange,
    StateChange,
    TicketCreate,
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
