"""The ticket import route: tickets and their whole history from another system (admin only, bulk, idempotent;
docs/domain.md, "Ticket import and as-of reads")."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from bss.api.caller import Admin
from bss.api.json_body import JsonBodyRoute
from bss.problems import PROBLEM_JSON
from support_sla.api import mapping
from support_sla.api.import_schemas import (
    FieldErrorRead,
    ImportLineRead,
    ImportProblemRead,
    TicketImportBatch,
    TicketImportRead,
)
from support_sla.deps import RuntimeDep, use_case
from support_sla.usecases import ticket_import
from support_sla.usecases.ticket_import import ImportLine, ImportResult

router = APIRouter(prefix="/v1/imports", tags=["imports"], route_class=JsonBodyRoute)

_PROBLEMS: dict[int | str, dict[str, Any]] = {
    403: {"description": "Not an admin", "content": {PROBLEM_JSON: {}}},
    422: {
        "description": "The request is malformed or over a limit (problem+json naming the fields): a time without "
        "its offset, an unknown severity or step kind, more tickets or steps than allowed. Nothing is written",
        "content": {PROBLEM_JSON: {}},
    },
}


@router.post(
    "/tickets",
    summary="Import tickets with their whole history from another system (admin; idempotent; ?dry_run=true "
    "answers the same and writes nothing)",
    response_model=TicketImportRead,
    responses=_PROBLEMS,
)
async def import_tickets(
    body: TicketImportBatch,
    runtime: RuntimeDep,
    caller: Admin,
    dry_run: Annotated[bool, Query(description="Check and answer line by line, but write nothing")] = False,
) -> TicketImportRead:
    """Brings tickets from another system with their whole history (messages, pauses, severity changes,
    escalation, state changes), at most 500 tickets and 10,000 history steps a request. Each ticket is replayed
    through the live ticket rules at its historical instants, with the policy in force on its opening day, and
    answered on its own: `created`, `unchanged` (imported before with the same content), `conflict` (imported
    before with other content; never rewritten) or `refused` (its `problem` says why, as opening it would: an
    unknown reseller, no calendar that day, a step its state did not allow). An import publishes no event and
    charges nothing. Admins only (403); a malformed request or one over a limit is refused whole (422)."""
    result = await ticket_import.import_tickets(
        use_case(runtime, caller), [mapping.to_imported_ticket(ticket) for ticket in body.tickets], dry_run=dry_run
    )
    return _read(result)


def _read(result: ImportResult) -> TicketImportRead:
    return TicketImportRead(
        dry_run=result.dry_run,
        created=result.count("created"),
        unchanged=result.count("unchanged"),
        conflict=result.count("conflict"),
        refused=result.count("refused"),
        lines=[_line(line) for line in result.lines],
    )


def _line(line: ImportLine) -> ImportLineRead:
    problem = line.problem
    return ImportLineRead(
        index=line.index,
        source=line.source,
        source_id=line.source_id,
        status=line.status,
        ticket_id=line.ticket_id,
        problem=None
        if problem is None
        else ImportProblemRead(
            type=problem["type"],
            title=problem["title"],
            status=problem["status"],
            detail=problem["detail"],
            errors=[FieldErrorRead(field=e["field"], message=e["message"]) for e in problem.get("errors", [])],
        ),
    )
