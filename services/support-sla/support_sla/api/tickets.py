"""Ticket routes: open, read, list, reply, change severity or state, escalate, explain the SLA."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Body, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from bss.api import examples
from bss.api.caller import Admin, tenant_scope
from bss.api.idempotency import IdempotencyKey, IdempotentRequest
from bss.api.json_body import JsonBodyRoute
from bss.api.pagination import Page, decode_cursor, encode_cursor
from bss.problems import PROBLEM_JSON
from support_sla.api import examples as own
from support_sla.api import mapping
from support_sla.api.schemas import (
    MESSAGE_EXAMPLES,
    STATE_EXAMPLES,
    EscalationCreate,
    IncidentSummary,
    MessageCreate,
    PolicyReapply,
    SeverityChange,
    SlaExplanation,
    StateChange,
    TicketCreate,
    TicketEventRead,
    TicketRead,
)
from support_sla.api.ticket_views import event_read, explanation, ticket_read
from support_sla.deps import RuntimeDep, Staff, TicketCaller, use_case
from support_sla.usecases import incidents, ticket_reads, tickets
from support_sla.usecases.ticket_results import IncidentView

router = APIRouter(prefix="/v1/tickets", tags=["tickets"], route_class=JsonBodyRoute)


def _problems(*codes: int) -> dict[int | str, dict[str, Any]]:
    text = {
        403: "Not allowed for this role",
        404: "No such ticket",
        409: "Not possible in the ticket's state",
        422: "Invalid input (problem+json naming the fields)",
    }
    return {code: {"description": text[code], "content": {PROBLEM_JSON: {}}} for code in codes}


AsOf = Annotated[
    AwareDatetime | None,
    Query(
        description="An earlier instant (RFC 3339 with its offset) to show the ticket as of: its severity, state and "
        "each target's state and due time then, from the history recorded up to it only. Default: now",
        examples=[own.AS_OF],
    ),
]
TicketId = Annotated[str, Path(description="The ticket id.", examples=[own.TICKET_ID])]
# The as-of reads' example shows the imported ticket, whose history lies in the past.
ImportedTicketId = Annotated[str, Path(description="The ticket id.", examples=[own.IMPORTED_TICKET_ID])]


async def _read(runtime: RuntimeDep, caller: TicketCaller, ticket_id: str, as_of: datetime | None = None) -> TicketRead:
    found = await ticket_reads.ticket_clocks(runtime, caller, ticket_id, as_of)
    return ticket_read(found.ticket, found.clocks, found.now)


@router.post(
    "", status_code=201, summary="Open a ticket", response_model=TicketRead, responses=_problems(403, 404, 422)
)
async def open_ticket(
    body: TicketCreate, runtime: RuntimeDep, caller: TicketCaller, key: IdempotencyKey = None
) -> TicketRead:
    """Opens a support ticket: the SLA targets in force and the reseller's calendar are snapshotted, each target's
    clock starts, each technical issue (`incidents`, default the subject) counts against the reseller's incident
    quota, and a reseller that is not certified is charged the ticket fee. A reseller opens its own; staff name
    the reseller (`reseller_id`), and an admin may backdate with `requested_at`. A build of an unsupported release
    is flagged (`unsupported_version`). Refused: a reseller support does not know (404), backdating by a
    non-admin (403), invalid fields (422). With an `Idempotency-Key`, a repeat answers the first ticket."""
    request = IdempotentRequest.of(key, caller=caller.subject, route="open-ticket", body=body.model_dump(mode="json"))
    ctx = use_case(runtime, caller, body.requested_at)
    ticket_id = await tickets.open_ticket(ctx, mapping.to_open_ticket(body), request)
    return await _read(runtime, caller, ticket_id)


@router.get(
    "",
    summary="List tickets (a reseller sees its own)",
    response_model=Page[TicketRead],
    responses={
        **_problems(403, 422),
        404: {"description": "reseller_id names another tenant", "content": {PROBLEM_JSON: {}}},
    },
)
async def list_tickets(
    runtime: RuntimeDep,
    caller: TicketCaller,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    state: Annotated[str | None, Query(description="Only tickets in this state")] = None,
    reseller_id: Annotated[
        str | None, Query(description="Staff: one reseller's tickets", examples=[examples.RESELLER_ID])
    ] = None,
) -> Page[TicketRead]:
    """Tickets with each SLA target's due time, remaining time and state now, a page at a time (`next_cursor`
    fetches the next), filtered by state and reseller. Staff see every reseller's; a reseller sees its own only
    (naming another reseller answers 404)."""
    key = decode_cursor(cursor)
    scope = tenant_scope(caller, reseller_id)  # a reseller: its own tickets; naming another tenant is a 404
    page = await ticket_reads.list_tickets(runtime, scope, state, str(key[0]) if key else None, limit)
    return Page(
        items=[ticket_read(found.ticket, found.clocks, found.now) for found in page.items],
        next_cursor=encode_cursor([page.last_id]) if page.last_id is not None else None,
    )


@router.get(
    "/{ticket_id}",
    summary="A ticket with each target's due time, remaining time and state (now, or as of an earlier instant)",
    response_model=TicketRead,
    responses=_problems(404, 422),
)
async def get_ticket(
    ticket_id: ImportedTicketId, runtime: RuntimeDep, caller: TicketCaller, as_of: AsOf = None
) -> TicketRead:
    """One ticket: its severity, state, milestones and each SLA target's due time, remaining time and state, now
    or as it stood at `as_of` (from the history recorded up to then only). Staff read any ticket, a reseller its
    own (404 otherwise). An `as_of` before the ticket opened or in the future is refused (422)."""
    return await _read(runtime, caller, ticket_id, as_of)


@router.get(
    "/{ticket_id}/sla",
    summary="Explain the SLA: per target the due time, remaining business time, state and the steps behind it "
    "(now, or as of an earlier instant)",
    response_model=SlaExplanation,
    responses=_problems(404, 422),
)
async def explain_sla(
    ticket_id: ImportedTicketId, runtime: RuntimeDep, caller: TicketCaller, as_of: AsOf = None
) -> SlaExplanation:
    """Why each SLA target is due when it is: the policy and business calendar the ticket took, and per target
    the due and warning times, remaining business time, state and the steps behind them (start, pauses, severity
    changes, business hours), now or as of `as_of`. Staff read any ticket, a reseller its own (404 otherwise);
    an `as_of` before the opening or in the future is refused (422)."""
    found = await ticket_reads.ticket_clocks(runtime, caller, ticket_id, as_of)
    return explanation(found.ticket, found.clocks, found.now)


@router.get(
    "/{ticket_id}/events",
    summary="The ticket's history (resellers never see internal notes)",
    response_model=list[TicketEventRead],
    responses=_problems(404),
)
async def ticket_history(ticket_id: TicketId, runtime: RuntimeDep, caller: TicketCaller) -> list[TicketEventRead]:
    """Everything that happened to a ticket, oldest first: messages, notes, severity and state changes,
    escalation, pauses. Staff see internal notes; a reseller reads only its own tickets and never their internal
    notes (404 for another's)."""
    return [event_read(event) for event in await ticket_reads.ticket_history(runtime, caller, ticket_id)]


@router.post(
    "/{ticket_id}/messages",
    status_code=201,
    summary="Reply, write an internal note, or wait on the reseller (pauses the SLA clock)",
    response_model=TicketEventRead,
    responses=_problems(404, 409, 422),
)
async def post_message(
    ticket_id: TicketId,
    body: Annotated[MessageCreate, Body(openapi_examples=MESSAGE_EXAMPLES)],
    runtime: RuntimeDep,
    caller: TicketCaller,
) -> TicketEventRead:
    """Adds a message to a ticket. Support's first public reply meets the first-response target; support may
    instead write an internal note the reseller never sees, or ask the reseller and wait (`wait_on_reseller`): the
    SLA clocks pause until the reseller's next message (or a change of state). Staff or the ticket's reseller;
    a reseller's internal note or wait is refused (422 naming the field), and nobody writes on a closed ticket
    (409)."""
    ctx = use_case(runtime, caller, body.requested_at)
    return event_read(await tickets.post_message(ctx, ticket_id, mapping.to_post_message(body)))


@router.post(
    "/{ticket_id}/severity",
    summary="Change the severity, with a reason",
    response_model=TicketRead,
    responses=_problems(403, 404, 409, 422),
)
async def change_severity(ticket_id: TicketId, body: SeverityChange, runtime: RuntimeDep, caller: Staff) -> TicketRead:
    """Changes a ticket's severity, with a reason for the history: each SLA target runs on under the new
    severity's targets from now, keeping the time already elapsed. Staff only (403 for a reseller); refused once
    the ticket is resolved or closed (409), and to the severity it already has (422)."""
    ctx = use_case(runtime, caller, body.requested_at)
    await tickets.change_severity(ctx, ticket_id, mapping.to_change_severity(body))
    return await _read(runtime, caller, ticket_id)


@router.post(
    "/{ticket_id}/state",
    summary="Temporary solution provided, resolved or closed",
    response_model=TicketRead,
    responses=_problems(403, 404, 409, 422),
)
async def change_state(
    ticket_id: TicketId,
    body: Annotated[StateChange, Body(openapi_examples=STATE_EXAMPLES)],
    runtime: RuntimeDep,
    caller: Staff,
) -> TicketRead:
    """Moves a ticket on: a temporary solution provided (meets that target), resolved (needs a `resolution`;
    meets the permanent-resolution target; a confirmed product defect waives the ticket fee) or closed (only
    once resolved). Any change of state ends a pause. Staff only (403 for a reseller); a move the ticket's state
    does not allow is refused (409), resolving without a resolution too (422)."""
    ctx = use_case(runtime, caller, body.requested_at)
    await tickets.change_state(ctx, ticket_id, mapping.to_change_state(body))
    return await _read(runtime, caller, ticket_id)


@router.post(
    "/{ticket_id}/escalation",
    summary="Escalate to the vendor with the complete template",
    response_model=TicketRead,
    responses=_problems(403, 404, 409, 422),
)
async def escalate(ticket_id: TicketId, body: EscalationCreate, runtime: RuntimeDep, caller: Staff) -> TicketRead:
    """Escalates a ticket to the vendor with the escalation template. Every field of the template is required
    (422 naming each missing one); a ticket naming a build of an unsupported release cannot be escalated until
    the product is updated, nor can a resolved or closed one (409). Staff only (403 for a reseller)."""
    ctx = use_case(runtime, caller, body.requested_at)
    await tickets.escalate(ctx, ticket_id, mapping.to_escalate_to_vendor(body))
    return await _read(runtime, caller, ticket_id)


class IncidentCreate(BaseModel):
    model_config = ConfigDict(
        extra="forbid", json_schema_extra={"examples": [{"summary": "VSS snapshot fails on SQL Server"}]}
    )
    summary: IncidentSummary


class FindingCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"unknown_bug": True}]})
    unknown_bug: bool = Field(default=False, description="A bug the vendor had not known: the quota is credited")
    product_defect: bool = Field(default=False, description="A confirmed product defect: no ticket fee")


class IncidentRead(BaseModel):
    id: str
    ticket_id: str
    summary: str
    contract_year: int
    counted: bool
    billable: bool
    unknown_bug: bool
    product_defect: bool


def _incident(i: IncidentView) -> IncidentRead:
    return IncidentRead(
        id=i.id,
        ticket_id=i.ticket_id,
        summary=i.summary,
        contract_year=i.contract_year,
        counted=i.counted,
        billable=i.billable,
        unknown_bug=i.unknown_bug,
        product_defect=i.product_defect,
    )


@router.post(
    "/{ticket_id}/incidents",
    status_code=201,
    summary="Report another technical issue (incident)",
    response_model=IncidentRead,
    responses=_problems(404, 409, 422),
)
async def report_incident(
    ticket_id: TicketId, body: IncidentCreate, runtime: RuntimeDep, caller: TicketCaller
) -> IncidentRead:
    """Adds another technical issue to a ticket: an incident that counts against the reseller's yearly incident
    quota (beyond it, a paid incident is charged). Staff or the ticket's reseller; refused on a closed ticket
    (409)."""
    return _incident(await incidents.report_incident(use_case(runtime, caller), ticket_id, body.summary))


incident_router = APIRouter(prefix="/v1/incidents", tags=["tickets"], route_class=JsonBodyRoute)


@incident_router.post(
    "/{incident_id}/findings",
    summary="Record what support found: unknown bug, product defect",
    response_model=IncidentRead,
    responses=_problems(403, 404, 422),
)
async def record_finding(
    incident_id: Annotated[str, Path(description="The incident id.", examples=[own.INCIDENT_ID])],
    body: FindingCreate,
    runtime: RuntimeDep,
    caller: Staff,
) -> IncidentRead:
    """Records what support found about an incident: a bug the vendor had not known returns the incident to the
    reseller's quota; a confirmed product defect waives the ticket's fee. Staff only (403 for a reseller); an
    unknown incident is 404."""
    return _incident(
        await incidents.record_finding(
            use_case(runtime, caller), incident_id, unknown_bug=body.unknown_bug, product_defect=body.product_defect
        )
    )


@router.post(
    "/{ticket_id}/policy",
    summary="Re-apply the SLA policy to a ticket: by default as in force when it opened, after a retroactive "
    "correction; or today's; or an explicit calendar. Admin only, explicit",
    response_model=SlaExplanation,
    responses=_problems(403, 404, 409, 422),
)
async def reapply_policy(
    ticket_id: TicketId, body: PolicyReapply, runtime: RuntimeDep, caller: Admin
) -> SlaExplanation:
    """Re-snapshots a ticket's SLA policy, explicitly: by default the targets and calendar in force on the day it
    opened as recorded now (after a retroactive correction), or today's (`as_of: now`), or an explicit calendar.
    The clocks are computed again over the whole history; answers the new explanation. Admins only (403);
    refused when no calendar is in force that day (409), or for an explicit calendar the clocks cannot use
    (422)."""
    await tickets.reapply_policy(use_case(runtime, caller), ticket_id, mapping.to_reapply_policy(body))
    return await explain_sla(ticket_id, runtime, caller)
