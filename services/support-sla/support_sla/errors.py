"""The support service's typed errors; each is an RFC 9457 problem (bss maps `Problem` to problem+json)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import datetime

from bss.problems import Conflict, NotFound, Problem, ValidationProblem, field_error
from support_sla.domain.business_calendar import CalendarError
from support_sla.domain.ticket_import import ImportRefusal
from support_sla.domain.ticket_lifecycle import LifecycleRefusal


class InvalidField(ValidationProblem):
    """Input that parses but breaks a support rule; names the field to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}", errors=[field_error(field, message)])


class MissingTemplateFields(ValidationProblem):
    type_ = "escalation-template-incomplete"
    title = "The escalation template is incomplete"

    def __init__(self, missing: Mapping[str, str]) -> None:
        super().__init__(
            "Fill in every escalation template field before escalating to the vendor: " + ", ".join(missing),
            errors=[field_error(name, hint) for name, hint in missing.items()],
        )


def calendar_problem(error: CalendarError) -> InvalidField:
    """A business calendar the service cannot use, as problem+json naming the setting."""
    return InvalidField(f"calendar.{error.field_name}", error.message)


class TicketNotFound(NotFound):
    def __init__(self, ticket_id: str) -> None:
        super().__init__(f"No ticket {ticket_id}.")


class TicketNotOpenedYet(ValidationProblem):
    """An as-of read of a ticket at an instant before it was opened."""

    type_ = "ticket-not-opened-yet"
    title = "The ticket did not exist yet"

    def __init__(self, ticket_id: str, instant: datetime, opened_at: datetime) -> None:
        message = f"the ticket did not exist yet: it was opened at {opened_at.isoformat()}"
        super().__init__(
            f"Ticket {ticket_id} did not exist yet at {instant.isoformat()}: it was opened at {opened_at.isoformat()}.",
            errors=[field_error("as_of", message)],
            opened_at=opened_at.isoformat(),
        )


class ResellerNotFound(NotFound):
    def __init__(self, reseller_id: str) -> None:
        super().__init__(
            f"No reseller {reseller_id} is known to support yet (it learns resellers from ResellerRegistered)."
        )


class ProgramNotFound(NotFound):
    def __init__(self, program_id: str) -> None:
        super().__init__(f"No Tier 1 program {program_id}.")


class IncidentNotFound(NotFound):
    def __init__(self, incident_id: str) -> None:
        super().__init__(f"No incident {incident_id}.")


class TicketStateConflict(Conflict):
    type_ = "ticket-state-conflict"
    title = "Not possible in the ticket's state"


class StepConflict(Conflict):
    type_ = "onboarding-step-refused"
    title = "The onboarding step cannot be completed"


def lifecycle_problem(refusal: LifecycleRefusal) -> Problem:
    """A ticket rule's refusal as problem+json: 409 when the ticket's state does not allow the command, 422 naming
    the field to fix otherwise."""
    if refusal.field is None:
        return TicketStateConflict(refusal.message)
    return InvalidField(refusal.field, refusal.message)


@contextmanager
def refusals_as_problems() -> Iterator[None]:
    """Inside: a ticket rule's refusal (`LifecycleRefusal`) is raised as its problem (`lifecycle_problem`)."""
    try:
        yield
    except LifecycleRefusal as refusal:
        raise lifecycle_problem(refusal) from refusal


class TicketImportConflict(Conflict):
    type_ = "ticket-import-conflict"
    title = "Imported before with other content"

    def __init__(self, source: str, source_id: str, ticket_id: str) -> None:
        super().__init__(
            f"{source} ticket {source_id} was imported before as ticket {ticket_id}, with other content; an import "
            "never rewrites a ticket's history.",
            errors=[field_error("source_id", f"imported before as ticket {ticket_id} with other content")],
        )


def import_refusal_problem(refusal: ImportRefusal) -> Problem:
    """An imported ticket's refusal as problem+json naming the input at fault: 409 when the ticket's state at that
    step did not allow it, 422 otherwise."""
    if refusal.state_conflict:
        return TicketStateConflict(
            f"{refusal.field}: {refusal.message}", errors=[field_error(refusal.field, refusal.message)]
        )
    return InvalidField(refusal.field, refusal.message)
