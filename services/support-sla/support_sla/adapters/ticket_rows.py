"""The ticket tables as the state machine sees them (`domain/ticket_lifecycle.py`): a ticket row's facts and back,
a history entry from an event row and back."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import cast

from bss.events.contracts.value_types import Severity
from bss.identity import Role
from support_sla.domain.ticket_lifecycle import HistoryEntry, TicketFacts, TicketState
from support_sla.models import Ticket, TicketEvent

RESELLER_ROLE = Role.RESELLER.value
"""The `actor_role` of what the reseller wrote."""
SUPPORT_ROLE = Role.SUPPORT_AGENT.value
"""The `actor_role` of what support wrote in a system a ticket was imported from."""


def facts_of(ticket: Ticket) -> TicketFacts:
    """The ticket's facts as its row holds them now."""
    return TicketFacts(
        opened_at=ticket.opened_at,
        severity=cast(Severity, ticket.severity),
        state=cast(TicketState, ticket.state),
        unsupported_version=ticket.unsupported_version,
        paused_since=ticket.paused_since,
        paused_seconds=ticket.paused_seconds,
        first_response_at=ticket.first_response_at,
        temporary_solution_at=ticket.temporary_solution_at,
        resolved_at=ticket.resolved_at,
        closed_at=ticket.closed_at,
    )


def opening_facts(ticket: Ticket) -> TicketFacts:
    """The ticket's facts when it was opened: new, at its opening severity, nothing met."""
    return TicketFacts(
        opened_at=ticket.opened_at,
        severity=cast(Severity, ticket.opening_severity),
        unsupported_version=ticket.unsupported_version,
    )


def put_facts(ticket: Ticket, facts: TicketFacts) -> None:
    """Write the facts the entries changed back to the ticket's row."""
    ticket.severity = facts.severity
    ticket.state = facts.state
    ticket.paused_since = facts.paused_since
    ticket.paused_seconds = facts.paused_seconds
    ticket.first_response_at = facts.first_response_at
    ticket.temporary_solution_at = facts.temporary_solution_at
    ticket.resolved_at = facts.resolved_at
    ticket.closed_at = facts.closed_at


def entry_of(event: TicketEvent) -> HistoryEntry:
    """A stored event as a history entry."""
    return HistoryEntry(
        kind=event.kind,
        at=event.at,
        by_reseller=event.actor_role == RESELLER_ROLE,
        internal=event.internal,
        body=event.body,
        from_severity=cast(Severity | None, event.from_severity),
        to_severity=cast(Severity | None, event.to_severity),
        state=event.state,
    )


def entries_of(events: Sequence[TicketEvent]) -> list[HistoryEntry]:
    return [entry_of(event) for event in events]


def event_row(ticket_id: str, entry: HistoryEntry, recorded: datetime, actor_role: str, actor: str) -> TicketEvent:
    """The row that records `entry`, written by `actor` (in the role `actor_role`) at `recorded`."""
    return TicketEvent(
        id=str(uuid.uuid4()),
        ticket_id=ticket_id,
        kind=entry.kind,
        at=entry.at,
        recorded_at=recorded,
        actor_role=actor_role,
        actor=actor,
        internal=entry.internal,
        body=entry.body,
        from_severity=entry.from_severity,
        to_severity=entry.to_severity,
        state=entry.state,
    )
