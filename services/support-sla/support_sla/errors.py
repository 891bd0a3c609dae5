"""The support service's typed errors; each is an RFC 9457 problem (bss maps `Problem` to problem+json)."""

from __future__ import annotations

from collections.abc import Mapping

from bss.problems import Conflict, NotFound, ValidationProblem, field_error
from support_sla.domain.business_calendar import CalendarError


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
