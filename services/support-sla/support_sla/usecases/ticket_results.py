"""What the ticket use cases answer: frozen values the api maps, so no caller outside `usecases/` sees a row."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from support_sla.domain.ticket_lifecycle import TicketFacts
from support_sla.models import Incident, Ticket, TicketEvent


@dataclass(frozen=True, slots=True)
class TicketView:
    """A ticket as it stands (its SLA clocks come beside it: `ticket_reads.TicketClocks`)."""

    id: str
    reseller_id: str
    subject: str
    description: str
    product: str
    build_number: str | None
    severity: str
    state: str
    unsupported_version: bool
    opened_at: datetime
    first_response_at: datetime | None
    resolved_at: datetime | None
    paused: bool  # waiting on the reseller: the SLA clock stands still
    policy_snapshot: dict[str, Any]  # the policy snapshotted at opening (`PolicySnapshot.to_json`)
    source: str | None = None  # the system an imported ticket came from (None: opened here)
    source_id: str | None = None  # its id there

    @classmethod
    def of(cls, ticket: Ticket) -> TicketView:
        return cls(
            id=ticket.id,
            reseller_id=ticket.reseller_id,
            subject=ticket.subject,
            description=ticket.description,
            product=ticket.product,
            build_number=ticket.build_number,
            severity=ticket.severity,
            state=ticket.state,
            unsupported_version=ticket.unsupported_version,
            opened_at=ticket.opened_at,
            first_response_at=ticket.first_response_at,
            resolved_at=ticket.resolved_at,
            paused=ticket.paused_since is not None,
            policy_snapshot=ticket.policy_snapshot,
            source=ticket.source,
            source_id=ticket.source_id,
        )

    @classmethod
    def as_of(cls, ticket: Ticket, facts: TicketFacts) -> TicketView:
        """The ticket as it stood when it had `facts` (its severity, state, pause and milestones then)."""
        return replace(
            cls.of(ticket),
            severity=facts.severity,
            state=facts.state,
            first_response_at=facts.first_response_at,
            resolved_at=facts.resolved_at,
            paused=facts.paused_since is not None,
        )


@dataclass(frozen=True, slots=True)
class TicketEventView:
    """One entry of a ticket's history: a reply, note, pause, resume, severity or state change."""

    id: str
    kind: str
    at: datetime
    actor_role: str
    internal: bool
    body: str | None
    from_severity: str | None
    to_severity: str | None
    state: str | None

    @classmethod
    def of(cls, event: TicketEvent) -> TicketEventView:
        return cls(
            id=event.id,
            kind=event.kind,
            at=event.at,
            actor_role=event.actor_role,
            internal=event.internal,
            body=event.body,
            from_severity=event.from_severity,
            to_severity=event.to_severity,
            state=event.state,
        )


@dataclass(frozen=True, slots=True)
class IncidentView:
    """An incident of a ticket and where it stands against the reseller's quota."""

    id: str
    ticket_id: str
    summary: str
    contract_year: int
    counted: bool
    billable: bool
    unknown_bug: bool
    product_defect: bool

    @classmethod
    def of(cls, incident: Incident) -> IncidentView:
        return cls(
            id=incident.id,
            ticket_id=incident.ticket_id,
            summary=incident.summary,
            contract_year=incident.contract_year,
            counted=incident.counted,
            billable=incident.billable,
            unknown_bug=incident.unknown_bug,
            product_defect=incident.product_defect,
        )
