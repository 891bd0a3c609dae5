"""Reads of tickets: one or a page of them with their SLA clocks as of now (or, for one ticket, as of an earlier
instant), and a ticket's history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select

from bss.api.backdating import FUTURE_TOLERANCE
from bss.identity import Caller, Role
from support_sla.adapters.ticket_rows import entries_of, opening_facts
from support_sla.domain.sla_clock import TargetClock
from support_sla.domain.sla_policy import PolicySnapshot
from support_sla.domain.ticket_lifecycle import ticket_as_of
from support_sla.errors import InvalidField, TicketNotOpenedYet
from support_sla.models import Ticket, TicketEvent
from support_sla.runtime import SupportRuntime
from support_sla.usecases.sla_sync import current_clocks, ticket_events
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


async def ticket_clocks(
    runtime: SupportRuntime, caller: Caller, ticket_id: str, as_of: datetime | None = None
) -> TicketClocks:
    """The ticket the caller may see (404 otherwise) with its clocks now, or as it stood at `as_of`: its
    severity, state and each target's state and due time then, from the history recorded up to `as_of` only
    (`ticket_lifecycle.ticket_as_of`). The policy is the ticket's snapshot as it stands (one an admin re-applied
    applies to the whole history, as it does now)."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        ticket = await load_ticket(session, caller, ticket_id)
        if as_of is None:
            return TicketClocks(TicketView.of(ticket), await current_clocks(session, ticket, now), now)
        instant = _instant_of_history(as_of, ticket, now)
        entries = entries_of(await ticket_events(session, ticket.id))
    snapshot = PolicySnapshot.from_json(ticket.policy_snapshot)
    facts, clocks = ticket_as_of(snapshot, opening_facts(ticket), entries, instant)
    return TicketClocks(TicketView.as_of(ticket, facts), clocks, instant)


def _instant_of_history(as_of: datetime, ticket: Ticket, now: datetime) -> datetime:
    """`as_of` in UTC, refused when the ticket did not exist yet or the instant is still to come."""
    try:
        instant = as_of.astimezone(UTC)
    except OverflowError as exc:  # year 1 with a positive offset is before what a datetime holds in UTC
        raise InvalidField("as_of", "out of the range of instants") from exc
    if instant < ticket.opened_at:
        raise TicketNotOpenedYet(ticket.id, instant, ticket.opened_at)
    if instant > now + FUTURE_TOLERANCE:
        raise InvalidField("as_of", "must not be in the future: the history is recorded up to now")
    return instant


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
