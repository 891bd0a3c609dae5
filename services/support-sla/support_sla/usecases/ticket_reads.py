"""Reads of tickets: one or a page of them with their SLA clocks as of now, and a ticket's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from bss.identity import Caller, Role
from support_sla.domain.sla_clock import TargetClock
from support_sla.models import Ticket, TicketEvent
from support_sla.runtime import SupportRuntime
from support_sla.usecases.sla_sync import current_clocks
from support_sla.usecases.ticket_results import TicketEventView, TicketView
from support_sla.usecases.tickets import load_ticket


@dataclass(frozen=True, slots=True)
class TicketClocks:
    """A ticket with each target's clock as of `now`."""

    ticket: TicketView
    clocks: tuple[TargetClock, ...]
    now: datetime


@dataclass(frozen=True, slots=True)
class TicketPage:
    items: list[TicketClocks]
    last_id: str | None  # the last ticket of this page when there are more after it


async def ticket_clocks(runtime: SupportRuntime, caller: Caller, ticket_id: str) -> TicketClocks:
    """The ticket the caller may see (404 otherwise) with its clocks now."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        ticket = await load_ticket(session, caller, ticket_id)
        return TicketClocks(TicketView.of(ticket), await current_clocks(session, ticket, now), now)


async def list_tickets(
    runtime: SupportRuntime, reseller_id: str | None, state: str | None, after_id: str | None, limit: int
) -> TicketPage:
    """A page of tickets by id after `after_id`, of one reseller when `reseller_id` is given (the api scopes a
    reseller to its own tickets with `bss.api.caller.tenant_scope` before asking)."""
    query = select(Ticket).order_by(Ticket.id).limit(limit + 1)
    if reseller_id is not None:
        query = query.where(Ticket.reseller_id == reseller_id)
    if state:
        query = query.where(Ticket.state == state)
    if after_id:
        query = query.where(Ticket.id > after_id)
    async with runtime.sessions() as session:
        rows = list(await session.scalars(query))
        items = []
        for ticket in rows[:limit]:
            now = runtime.clock.now()
            items.append(TicketClocks(TicketView.of(ticket), await current_clocks(session, ticket, now), now))
    return TicketPage(items, rows[limit - 1].id if len(rows) > limit else None)


async def ticket_history(runtime: SupportRuntime, caller: Caller, ticket_id: str) -> list[TicketEventView]:
    """The ticket's events in order; a reseller never sees internal notes."""
    async with runtime.sessions() as session:
        await load_ticket(session, caller, ticket_id)
        query = (
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.at, TicketEvent.recorded_at)
        )
        if caller.role is Role.RESELLER:
            query = query.where(TicketEvent.internal.is_(False))
        return [TicketEventView.of(event) for event in await session.scalars(query)]
