"""Importing tickets and their whole history from another system: admin only, in bulk, idempotent.

docs/domain.md, "Ticket import and as-of reads". Each ticket is its own unit: its own transaction, written whole
or not at all, and a refused ticket does not stop the others. A ticket is imported once per (`source`,
`source_id`): importing the same content again answers `unchanged` and writes nothing; other content under the
same id is a `conflict` (an import never rewrites a history). A dry run goes through the very same steps and rolls
each ticket back, so it answers what the import would.

An imported history is the past: the ticket gets no incidents and no charges (its source system billed it), no
ticket event is published, and the breaches and warnings that fell before the import are recorded as passed and
never raised now. From the import on, an open ticket runs like any other.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import structlog
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bss.identity import Caller, Role
from bss.problems import Forbidden, Problem
from support_sla.adapters.ticket_rows import RESELLER_ROLE, SUPPORT_ROLE, event_row, put_facts
from support_sla.domain.eol_policy import is_supported
from support_sla.domain.ticket_import import (
    MAX_STEPS_PER_IMPORT,
    MAX_TICKETS_PER_IMPORT,
    ImportedTicket,
    ImportRefusal,
    ImportReplay,
    import_fingerprint,
    replay_import,
)
from support_sla.domain.ticket_lifecycle import HistoryEntry, TicketFacts
from support_sla.errors import (
    InvalidField,
    ResellerNotFound,
    TicketImportConflict,
    import_refusal_problem,
)
from support_sla.models import PLACEHOLDER_COUNTRY, Reseller, SlaTarget, Ticket, TicketEvent
from support_sla.runtime import SLA_DUE_TIMES, SupportUseCase
from support_sla.usecases.policy import policy_at, settings_day
from support_sla.usecases.sla_sync import store_clocks

log = structlog.get_logger("support_sla.ticket_import")

ImportStatus = Literal["created", "unchanged", "conflict", "refused"]
IMPORTED = "imported"
"""The kind of the internal note that records who imported a ticket, from where, and when."""


@dataclass(frozen=True, slots=True)
class ImportLine:
    """What became of one ticket of the request (`index` is its position there)."""

    index: int
    source: str
    source_id: str
    status: ImportStatus
    ticket_id: str | None = None  # created (None in a dry run), unchanged, or the ticket a conflict is with
    problem: dict[str, Any] | None = None  # why: the problem+json body of a conflict or refusal


@dataclass(frozen=True, slots=True)
class ImportResult:
    dry_run: bool
    lines: tuple[ImportLine, ...]

    def count(self, status: ImportStatus) -> int:
        return sum(line.status == status for line in self.lines)


class _DryRun(Exception):
    """Rolls a dry run's ticket back once it is written in full (so a dry run answers what the import would)."""


async def import_tickets(ctx: SupportUseCase, tickets: Sequence[ImportedTicket], *, dry_run: bool) -> ImportResult:
    """Import each ticket in its own transaction, in order, and answer line by line. Nothing is written in a
    dry run."""
    if ctx.caller.role is not Role.ADMIN:
        raise Forbidden("Only admins import tickets.")
    if len(tickets) > MAX_TICKETS_PER_IMPORT:
        raise InvalidField("tickets", f"at most {MAX_TICKETS_PER_IMPORT} tickets per import")
    if sum(len(ticket.history) for ticket in tickets) > MAX_STEPS_PER_IMPORT:
        raise InvalidField("tickets", f"at most {MAX_STEPS_PER_IMPORT} history steps per import, all tickets together")
    seen: dict[tuple[str, str], tuple[str, str | None]] = {}  # this request's tickets: fingerprint, ticket id
    lines = [await _import_one(ctx, index, ticket, seen, dry_run) for index, ticket in enumerate(tickets)]
    result = ImportResult(dry_run, tuple(lines))
    if not dry_run and result.count("created"):
        ctx.runtime.wakeup(SLA_DUE_TIMES).set()  # open imported tickets have due times to watch
    log.info(
        "tickets imported",
        dry_run=dry_run,
        by=ctx.caller.subject,
        **{status: result.count(status) for status in ("created", "unchanged", "conflict", "refused")},
    )
    return result


async def _import_one(
    ctx: SupportUseCase,
    index: int,
    imported: ImportedTicket,
    seen: dict[tuple[str, str], tuple[str, str | None]],
    dry_run: bool,
) -> ImportLine:
    key = (imported.source, imported.source_id)
    fingerprint = import_fingerprint(imported)
    if key in seen:
        return _known(index, imported, fingerprint, *seen[key])
    try:
        async with ctx.transaction() as session:
            existing = await _imported_before(session, imported)
            if existing is not None:
                return _known(index, imported, fingerprint, *existing)
            ticket_id: str | None = await _write(ctx, session, imported, fingerprint)
            if dry_run:
                raise _DryRun
    except _DryRun:
        ticket_id = None
    except ImportRefusal as refusal:
        return _line(index, imported, "refused", problem=import_refusal_problem(refusal))
    except Problem as problem:
        return _line(index, imported, "refused", problem=problem)
    except IntegrityError:
        # the same source id imported by another request meanwhile (the unique index): what it holds decides
        async with ctx.runtime.sessions() as session:
            existing = await _imported_before(session, imported)
        if existing is None:
            raise
        return _known(index, imported, fingerprint, *existing)
    seen[key] = (fingerprint, ticket_id)
    return _line(index, imported, "created", ticket_id)


def _line(
    index: int,
    imported: ImportedTicket,
    status: ImportStatus,
    ticket_id: str | None = None,
    problem: Problem | None = None,
) -> ImportLine:
    body = problem.body() if problem is not None else None
    return ImportLine(index, imported.source, imported.source_id, status, ticket_id, body)


def _known(
    index: int, imported: ImportedTicket, fingerprint: str, known_fingerprint: str, ticket_id: str | None
) -> ImportLine:
    """A ticket imported before (by an earlier request, or earlier in this one): unchanged when the content is the
    same, else a conflict."""
    if known_fingerprint == fingerprint:
        return _line(index, imported, "unchanged", ticket_id)
    conflict = TicketImportConflict(imported.source, imported.source_id, ticket_id or "(earlier in this import)")
    return _line(index, imported, "conflict", ticket_id, conflict)


async def _imported_before(session: AsyncSession, imported: ImportedTicket) -> tuple[str, str | None] | None:
    row = (
        await session.execute(
            select(Ticket.source_fingerprint, Ticket.id).where(
                Ticket.source == imported.source, Ticket.source_id == imported.source_id
            )
        )
    ).first()
    return None if row is None else (str(row.source_fingerprint), row.id)


async def _write(ctx: SupportUseCase, session: AsyncSession, imported: ImportedTicket, fingerprint: str) -> str:
    """The ticket, its history, its SLA clocks under the policy in force when it opened, and its past alerts
    settled; refused (`ImportRefusal`, `Problem`) before anything is kept."""
    now = ctx.now
    unsupported = imported.build_number is not None and not is_supported(
        imported.build_number, ctx.settings.product_releases
    )
    replay = replay_import(
        imported, TicketFacts(imported.opened_at, imported.severity, unsupported_version=unsupported), now
    )
    reseller = await session.get(Reseller, imported.reseller_id)
    if reseller is None or reseller.country == PLACEHOLDER_COUNTRY:
        raise ResellerNotFound(imported.reseller_id)
    # as opening does: the targets in force on the opening day, the calendar assigned to the reseller that day
    policy = await policy_at(session, ctx.settings, reseller.id, settings_day(imported.opened_at))
    ticket = Ticket(
        id=str(uuid.uuid4()),
        reseller_id=reseller.id,
        country=reseller.country,
        subject=imported.subject,
        description=imported.description,
        product=imported.product,
        build_number=imported.build_number,
        unsupported_version=unsupported,
        opening_severity=imported.severity,
        policy_snapshot=policy.to_json(),
        escalation=dict(replay.escalation) if replay.escalation is not None else None,
        opened_at=imported.opened_at,
        recorded_at=now,
        confirmed_defect=replay.confirmed_defect,
        source=imported.source,
        source_id=imported.source_id,
        source_fingerprint=fingerprint,
    )
    put_facts(ticket, replay.facts)
    session.add(ticket)
    await session.flush()  # the unique index: the same source id imported meanwhile fails here
    session.add_all(_history_rows(ticket.id, imported, replay, ctx.caller, now))
    await session.flush()
    await store_clocks(session, ticket, now)
    await _settle_past_alerts(session, ticket.id, now)
    return ticket.id


def _history_rows(
    ticket_id: str, imported: ImportedTicket, replay: ImportReplay, caller: Caller, now: datetime
) -> list[TicketEvent]:
    """The replayed entries, written by their authors in the source system (else `import:<source>`), recorded
    one microsecond apart so that entries at one instant keep their order; then the note saying who imported."""
    rows = []
    for position, replayed in enumerate(replay.entries):
        role = RESELLER_ROLE if replayed.entry.by_reseller else SUPPORT_ROLE
        actor = replayed.author or f"import:{imported.source}"
        rows.append(event_row(ticket_id, replayed.entry, now + timedelta(microseconds=position), role, actor))
    note = HistoryEntry(
        IMPORTED, now, internal=True, body=f"Imported from {imported.source}, where it is {imported.source_id}."
    )
    rows.append(event_row(ticket_id, note, now + timedelta(microseconds=len(rows)), caller.role.value, caller.subject))
    return rows


async def _settle_past_alerts(session: AsyncSession, ticket_id: str, now: datetime) -> None:
    """Breaches and warnings of an imported ticket that fell before the import are its history: recorded as passed
    (breach time and severity as the clock computed them, the flags the breach scheduler reads), never raised now.
    Those still to come are raised when they come, as for any ticket."""
    await session.flush()
    await session.execute(
        update(SlaTarget)
        .where(SlaTarget.ticket_id == ticket_id, SlaTarget.breach_at <= now)
        .values(breached=True, warned=True)
    )
    await session.execute(
        update(SlaTarget).where(SlaTarget.ticket_id == ticket_id, SlaTarget.warning_at <= now).values(warned=True)
    )
