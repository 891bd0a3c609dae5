"""Incidents of a ticket: one per technical issue, counted against the quota; findings credit it back."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from support_sla.errors import IncidentNotFound, TicketStateConflict
from support_sla.models import Incident, Reseller, Ticket
from support_sla.runtime import SupportUseCase
from support_sla.usecases.charges import add_incident, credit_unknown_bug, reverse_ticket_fee
from support_sla.usecases.ticket_results import IncidentView
from support_sla.usecases.tickets import load_ticket


async def report_incident(ctx: SupportUseCase, ticket_id: str, summary: str) -> IncidentView:
    """Another technical issue in a ticket is another incident (seed 002)."""
    now = ctx.now
    async with ctx.transaction() as session:
        ticket = await load_ticket(session, ctx.caller, ticket_id, lock=True)
        if ticket.state == "closed":
            raise TicketStateConflict("The ticket is closed: open a new ticket.")
        reseller = await session.get_one(Reseller, ticket.reseller_id, with_for_update=True)
        incident = await add_incident(ctx, session, ticket, reseller, summary, now)
        reported = IncidentView.of(incident)
    return reported


async def _load(session: AsyncSession, incident_id: str) -> Incident:
    incident = await session.get(Incident, incident_id, with_for_update=True)
    if incident is None:
        raise IncidentNotFound(incident_id)
    return incident


async def record_finding(
    ctx: SupportUseCase, incident_id: str, *, unknown_bug: bool, product_defect: bool
) -> IncidentView:
    """A previously unknown bug credits the quota; a confirmed product defect waives the ticket fee (seed 002)."""
    now = ctx.now
    async with ctx.transaction() as session:
        incident = await _load(session, incident_id)
        reseller = await session.get_one(Reseller, incident.reseller_id, with_for_update=True)
        if unknown_bug:
            await credit_unknown_bug(ctx, session, incident, reseller, now)
        if product_defect and not incident.product_defect:
            incident.product_defect = True
            ticket = await session.get_one(Ticket, incident.ticket_id)
            ticket.confirmed_defect = True
            await reverse_ticket_fee(ctx, session, ticket, reseller, now)
        recorded = IncidentView.of(incident)
    return recorded
