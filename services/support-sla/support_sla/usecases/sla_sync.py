"""Rebuild a ticket's SLA history from its events and store the due times the scheduler and reports need."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import cast

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bss.events.contracts.support import SlaDueTimes
from bss.events.contracts.value_types import Severity
from support_sla.adapters.report_rollups import refresh_ticket_rollups, report_facts
from support_sla.adapters.ticket_rows import entries_of
from support_sla.domain.sla_clock import TargetClock, TicketHistory, ticket_clocks
from support_sla.domain.sla_policy import PolicySnapshot
from support_sla.domain.ticket_lifecycle import met_times, sla_history
from support_sla.models import SlaTarget, Ticket, TicketEvent


async def ticket_events(session: AsyncSession, ticket_id: str) -> list[TicketEvent]:
    """The ticket's events in business-time order."""
    rows = await session.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.at, TicketEvent.recorded_at)
    )
    return list(rows)


def history_of(ticket: Ticket, events: Sequence[TicketEvent]) -> TicketHistory:
    """The SLA history of a ticket: opening severity and changes, pauses, and when targets were met."""
    met = met_times(ticket.first_response_at, ticket.temporary_solution_at, ticket.resolved_at)
    return sla_history(ticket.opened_at, cast(Severity, ticket.opening_severity), entries_of(events), met)


async def current_clocks(session: AsyncSession, ticket: Ticket, now: datetime) -> tuple[TargetClock, ...]:
    """The ticket's target clocks as of `now`, from its policy snapshot and its event history."""
    events = await ticket_events(session, ticket.id)
    return ticket_clocks(PolicySnapshot.from_json(ticket.policy_snapshot), history_of(ticket, events), now)


def due_times(clocks: Sequence[TargetClock]) -> SlaDueTimes:
    """The due times as the ticket events carry them."""
    by_target = {clock.target: clock.due_at for clock in clocks}
    first = by_target["first_response"]
    assert first is not None  # every severity has a first-response target
    return SlaDueTimes(
        first_response=first,
        temporary_solution=by_target["temporary_solution"],
        permanent_resolution=by_target["permanent_resolution"],
    )


async def store_clocks(session: AsyncSession, ticket: Ticket, now: datetime) -> tuple[TargetClock, ...]:
    """Recompute and store every target's due, warning and breach times; breached/warned flags never reset. The
    report columns follow, and the reports' rollups with them, in the same transaction."""
    before = report_facts(ticket)  # as the rollups last counted it (the report columns are written only here)
    clocks = await current_clocks(session, ticket, now)
    existing = {
        row.target: row for row in await session.scalars(select(SlaTarget).where(SlaTarget.ticket_id == ticket.id))
    }
    for clock in clocks:
        row = existing.get(clock.target) or SlaTarget(
            ticket_id=ticket.id, target=clock.target, warned=False, breached=False
        )
        row.severity = clock.severity
        row.state = clock.state
        row.due_at = clock.due_at
        running = clock.state == "running"
        row.warning_at = clock.warning_at if running else None
        if clock.breach is not None:
            row.breach_at, row.breach_severity = clock.breach.due_at, clock.breach.severity
        else:
            row.breach_at, row.breach_severity = (clock.due_at, clock.severity) if running else (None, None)
        if clock.target not in existing:
            session.add(row)
    _report_columns(ticket, clocks)
    await refresh_ticket_rollups(session, ticket, before if existing else None)  # no targets yet: a new ticket
    return clocks


def _report_columns(ticket: Ticket, clocks: Sequence[TargetClock]) -> None:
    by_target = {clock.target: clock for clock in clocks}
    paused = ticket.paused_seconds
    if ticket.first_response_at:
        ticket.first_response_seconds = int((ticket.first_response_at - ticket.opened_at).total_seconds())
        ticket.first_response_met = by_target["first_response"].state == "met"
    if ticket.resolved_at:
        ticket.resolution_seconds = max(0, int((ticket.resolved_at - ticket.opened_at).total_seconds()) - paused)
        resolution = by_target["permanent_resolution"]
        ticket.resolution_met = resolution.state in ("met", "not_applicable")
