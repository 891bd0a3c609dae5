"""Ticket use cases: open, reply (pausing and resuming the SLA clock), change severity or state, escalate."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bss.api.idempotency import IdempotencyStore, IdempotentRequest, StoredAnswer
from bss.events.contracts.support import TicketOpenedV1, TicketResolvedV1, TicketSeverityChangedV1
from bss.identity import Caller, Role
from bss.problems import Forbidden
from support_sla.adapters.ticket_rows import event_row, facts_of, put_facts
from support_sla.domain.business_calendar import BusinessCalendar, CalendarError, parse_working_hours
from support_sla.domain.eol_policy import is_supported
from support_sla.domain.escalation import missing_template_fields
from support_sla.domain.sla_policy import PolicySnapshot
from support_sla.domain.ticket_lifecycle import (
    HistoryEntry,
    apply_entries,
    decide_escalation,
    decide_message,
    decide_severity_change,
    decide_state_change,
)
from support_sla.errors import (
    InvalidField,
    MissingTemplateFields,
    ResellerNotFound,
    TicketNotFound,
    calendar_problem,
    refusals_as_problems,
)
from support_sla.models import PLACEHOLDER_COUNTRY, Reseller, Ticket, TicketEvent, messaging
from support_sla.runtime import SLA_DUE_TIMES, SupportUseCase
from support_sla.usecases.charges import add_incident, charge_ticket_fee, reverse_ticket_fee
from support_sla.usecases.policy import policy_at, settings_day
from support_sla.usecases.sla_sync import due_times, store_clocks
from support_sla.usecases.ticket_commands import (
    CalendarCorrection,
    ChangeSeverity,
    ChangeState,
    EscalateToVendor,
    OpenTicket,
    PostMessage,
    ReapplyPolicy,
)
from support_sla.usecases.ticket_results import TicketEventView, TicketView

IDEMPOTENCY = IdempotencyStore(messaging)


async def load_ticket(session: AsyncSession, caller: Caller, ticket_id: str, *, lock: bool = False) -> Ticket:
    """The ticket, or 404 (also for a reseller naming another reseller's ticket)."""
    query = select(Ticket).where(Ticket.id == ticket_id)
    if caller.role is Role.RESELLER:
        query = query.where(Ticket.reseller_id == caller.tenant_id)
    elif not caller.is_staff:
        raise Forbidden("Tickets are for resellers, support agents and admins.")
    if lock:
        query = query.with_for_update()
    ticket = await session.scalar(query)
    if ticket is None:
        raise TicketNotFound(ticket_id)
    return ticket


def _record(ticket: Ticket, entries: list[HistoryEntry], recorded: datetime, caller: Caller) -> list[TicketEvent]:
    """The rows recording `entries` (written by `caller` at `recorded`), and the ticket's facts after them."""
    put_facts(ticket, apply_entries(facts_of(ticket), entries))
    return [event_row(ticket.id, entry, recorded, caller.role.value, caller.subject) for entry in entries]


def _instants(ctx: SupportUseCase, ticket: Ticket) -> tuple[datetime, datetime]:
    """The call's effective and recorded instants; a change never applies before the ticket was opened."""
    if ctx.effective < ticket.opened_at:
        raise InvalidField("requested_at", "must not be before the ticket was opened")
    return ctx.effective, ctx.now


def _owner(caller: Caller, command: OpenTicket) -> str:
    """The reseller a new ticket is for: the caller itself, or the one staff name."""
    if caller.role is Role.RESELLER and caller.tenant_id:
        if command.reseller_id not in (None, caller.tenant_id):
            raise Forbidden("A reseller opens tickets for itself only; leave reseller_id out.")
        return caller.tenant_id
    if caller.is_staff:
        if command.reseller_id is None:
            raise InvalidField("reseller_id", "staff name the reseller the ticket is for")
        return command.reseller_id
    raise Forbidden("Tickets are opened by resellers, support agents and admins.")


def _new_ticket(
    command: OpenTicket,
    reseller: Reseller,
    policy: PolicySnapshot,
    releases: list[str],
    at: datetime,
    recorded: datetime,
) -> Ticket:
    supported = command.build_number is None or is_supported(command.build_number, releases)
    return Ticket(
        id=str(uuid.uuid4()),
        reseller_id=reseller.id,
        country=reseller.country,
        subject=command.subject,
        description=command.description,
        product=command.product,
        build_number=command.build_number,
        unsupported_version=not supported,
        opening_severity=command.severity,
        severity=command.severity,
        state="new",
        policy_snapshot=policy.to_json(),
        opened_at=at,
        recorded_at=recorded,
        paused_seconds=0,
        confirmed_defect=False,
    )


async def open_ticket(ctx: SupportUseCase, command: OpenTicket, idempotent: IdempotentRequest | None = None) -> str:
    """A reseller opens a ticket: policy snapshot, SLA clocks, incidents against the quota, ticket fee.

    Returns the ticket id; a retry with the same Idempotency-Key and body returns the first ticket's id.
    """
    reseller_id = _owner(ctx.caller, command)
    at, recorded = ctx.effective, ctx.now
    async with ctx.transaction() as session:
        stored = await IDEMPOTENCY.find(session, idempotent)
        if stored is not None:
            return str(stored.body["ticket_id"])
        reseller = await session.get(Reseller, reseller_id)
        if reseller is None or reseller.country == PLACEHOLDER_COUNTRY:
            raise ResellerNotFound(str(reseller_id))
        # the policy in force at the (possibly backdated) opening: that day's targets, the reseller's calendar
        policy = await policy_at(session, ctx.settings, reseller.id, settings_day(at))
        ticket = _new_ticket(command, reseller, policy, ctx.settings.product_releases, at, recorded)
        session.add(ticket)
        await session.flush()
        clocks = await store_clocks(session, ticket, at)
        summaries = command.incidents or (command.subject,)
        await ctx.runtime.outbox.add(
            session,
            TicketOpenedV1(
                ticket_id=ticket.id,
                reseller_id=reseller.id,
                title=ticket.subject,
                severity=command.severity,
                opened_at=at,
                country=reseller.country,
                incidents=len(summaries),
                product_build=command.build_number,
                due=due_times(clocks),
            ),
            now=recorded,
        )
        await charge_ticket_fee(ctx, session, ticket, reseller, at)
        for summary in summaries:
            await add_incident(ctx, session, ticket, reseller, summary[:200], at)
        await IDEMPOTENCY.remember(session, idempotent, StoredAnswer(201, {"ticket_id": ticket.id}), now=recorded)
    ctx.runtime.wakeup(SLA_DUE_TIMES).set()
    return ticket.id


async def post_message(ctx: SupportUseCase, ticket_id: str, command: PostMessage) -> TicketEventView:
    """A public reply or internal note; an agent may wait on the reseller (pause), whose reply resumes."""
    caller = ctx.caller
    async with ctx.transaction() as session:
        ticket = await load_ticket(session, caller, ticket_id, lock=True)
        at, recorded = _instants(ctx, ticket)
        with refusals_as_problems():
            entries = decide_message(
                facts_of(ticket),
                at,
                command.body,
                by_reseller=caller.role is Role.RESELLER,
                internal=command.internal,
                wait_on_reseller=command.wait_on_reseller,
            )
        rows = _record(ticket, entries, recorded, caller)
        session.add_all(rows)
        await session.flush()
        await store_clocks(session, ticket, recorded)
        posted = TicketEventView.of(rows[0])
    ctx.runtime.wakeup(SLA_DUE_TIMES).set()
    return posted


async def change_severity(ctx: SupportUseCase, ticket_id: str, command: ChangeSeverity) -> TicketView:
    """Support changes the severity with a reason; due times are recomputed from the opening (docs/domain.md)."""
    caller = ctx.caller
    async with ctx.transaction() as session:
        ticket = await load_ticket(session, caller, ticket_id, lock=True)
        at, recorded = _instants(ctx, ticket)
        previous = ticket.severity
        with refusals_as_problems():
            entries = decide_severity_change(facts_of(ticket), at, command.severity, command.reason)
        session.add_all(_record(ticket, entries, recorded, caller))
        await session.flush()
        clocks = await store_clocks(session, ticket, recorded)
        await ctx.runtime.outbox.add(
            session,
            TicketSeverityChangedV1(
                ticket_id=ticket.id,
                reseller_id=ticket.reseller_id,
                from_severity=previous,  # type: ignore[arg-type]
                to_severity=command.severity,
                changed_at=at,
                reason=command.reason,
                due=due_times(clocks),
            ),
            now=recorded,
        )
        changed = TicketView.of(ticket)
    ctx.runtime.wakeup(SLA_DUE_TIMES).set()
    return changed


async def change_state(ctx: SupportUseCase, ticket_id: str, command: ChangeState) -> TicketView:
    """Temporary solution provided, resolved (needs a resolution) or closed; resolving ends any pause."""
    caller = ctx.caller
    async with ctx.transaction() as session:
        ticket = await load_ticket(session, caller, ticket_id, lock=True)
        at, recorded = _instants(ctx, ticket)
        with refusals_as_problems():
            entries = decide_state_change(facts_of(ticket), at, command.state, command.resolution)
        session.add_all(_record(ticket, entries, recorded, caller))
        if command.state == "resolved":
            await _resolve(ctx, session, ticket, command, at, recorded)
        await session.flush()
        await store_clocks(session, ticket, recorded)
        changed = TicketView.of(ticket)
    ctx.runtime.wakeup(SLA_DUE_TIMES).set()
    return changed


async def _resolve(
    ctx: SupportUseCase, session: AsyncSession, ticket: Ticket, command: ChangeState, at: datetime, recorded: datetime
) -> None:
    ticket.confirmed_defect = command.confirmed_defect
    await ctx.runtime.outbox.add(
        session,
        TicketResolvedV1(
            ticket_id=ticket.id,
            reseller_id=ticket.reseller_id,
            severity=ticket.severity,  # type: ignore[arg-type]
            opened_at=ticket.opened_at,
            first_response_at=ticket.first_response_at,
            resolved_at=at,
            paused_seconds=ticket.paused_seconds,
            resolution=command.resolution,  # type: ignore[arg-type]
            confirmed_defect=command.confirmed_defect,
        ),
        now=recorded,
    )
    if command.confirmed_defect:
        reseller = await session.get_one(Reseller, ticket.reseller_id)
        await reverse_ticket_fee(ctx, session, ticket, reseller, at)


async def escalate(ctx: SupportUseCase, ticket_id: str, command: EscalateToVendor) -> TicketView:
    """Escalate to the vendor: every template field is required; an unsupported build must update first."""
    missing = missing_template_fields(command.template)
    if missing:
        raise MissingTemplateFields(missing)
    caller = ctx.caller
    async with ctx.transaction() as session:
        ticket = await load_ticket(session, caller, ticket_id, lock=True)
        at, recorded = _instants(ctx, ticket)
        with refusals_as_problems():
            entries = decide_escalation(facts_of(ticket), at)
        ticket.escalation = dict(command.template)
        session.add_all(_record(ticket, entries, recorded, caller))
        await session.flush()
        await store_clocks(session, ticket, recorded)
        escalated = TicketView.of(ticket)
    return escalated


def _corrected_calendar(c: CalendarCorrection) -> BusinessCalendar:
    try:
        hours = parse_working_hours(c.working_hours) if c.working_hours else None
        return BusinessCalendar(
            c.time_zone,
            frozenset(c.working_weekdays),
            c.country,
            c.subdivision,
            c.always_open,
            hours,
            frozenset(c.closure_days),
        ).validate()
    except CalendarError as exc:
        raise calendar_problem(exc) from exc


async def reapply_policy(ctx: SupportUseCase, ticket_id: str, command: ReapplyPolicy) -> TicketView:
    """An admin explicitly re-snapshots the policy on a ticket; nothing else ever moves a running ticket's due
    times. By default the policy in force on the day the ticket opened, read as the settings stand now: a
    calendar, an assignment or targets corrected retroactively (effective on or before that day, recorded later)
    apply to the ticket. `as_of="now"`: today's policy. An explicit calendar replaces the assigned one."""
    corrected = _corrected_calendar(command.calendar) if command.calendar is not None else None
    async with ctx.transaction() as session:
        ticket = await load_ticket(session, ctx.caller, ticket_id, lock=True)
        now = ctx.now
        day = settings_day(ticket.opened_at if command.as_of == "opening" else now)
        policy = await policy_at(session, ctx.settings, ticket.reseller_id, day)
        if corrected is not None:
            policy = replace(policy, calendar=corrected, calendar_name=None)
        ticket.policy_snapshot = policy.to_json()
        note = HistoryEntry("policy_reapplied", now, internal=True, body=command.reason)
        session.add(event_row(ticket.id, note, now, ctx.caller.role.value, ctx.caller.subject))
        await session.flush()
        await store_clocks(session, ticket, now)
        reapplied = TicketView.of(ticket)
    ctx.runtime.wakeup(SLA_DUE_TIMES).set()
    return reapplied
