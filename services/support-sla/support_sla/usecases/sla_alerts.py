"""Raising SLA warnings and breaches once each, and expiring certifications: one transaction per pass.

Two replicas may run at once: they claim rows with FOR UPDATE SKIP LOCKED on PostgreSQL, and on any database
the unique (ticket, target, kind) constraint of `sla_alerts` lets only one of them raise an alert; the
`SlaBreached` event is written only by the transaction whose alert insert took effect.
"""

from __future__ import annotations

import uuid
from datetime import datetime

import structlog
from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bss.db import insert_for
from bss.events.contracts.support import SlaBreachedV1
from support_sla.adapters.due_targets import AlertKind, claim_due, next_due
from support_sla.models import SlaAlert, SlaTarget, Ticket
from support_sla.runtime import SupportRuntime, SupportUseCase
from support_sla.usecases.certification import expire_certifications

log = structlog.get_logger("support_sla.scheduler")
BATCH = 500


async def raise_due(ctx: SupportUseCase) -> int:
    """One pass: warnings, breaches and certification expiries due by `ctx.now`, committed together. Rows handled."""
    now = ctx.now
    async with ctx.transaction() as session:
        handled = await _raise(ctx, session, now, "breach")
        handled += await _raise(ctx, session, now, "warning")
        handled += await expire_certifications(ctx, session, now)
    return handled


async def seconds_to_next_due(runtime: SupportRuntime) -> float:
    """Seconds until the earliest pending warning, breach or certification expiry (capped)."""
    cap = runtime.settings.scheduler_max_sleep_s
    async with runtime.sessions() as session:
        candidates = await next_due(session)
    if not candidates:
        return cap
    return max(0.0, min(cap, (min(candidates) - runtime.clock.now()).total_seconds()))


async def _raise(ctx: SupportUseCase, session: AsyncSession, now: datetime, kind: AlertKind) -> int:
    rows = await claim_due(session, kind, now, BATCH)
    for row in rows:
        due = row.breach_at if kind == "breach" else row.warning_at
        severity = (row.breach_severity or row.severity) if kind == "breach" else row.severity
        assert due is not None
        inserted = await session.execute(
            insert_for(session)(SlaAlert)
            .values(
                id=str(uuid.uuid4()),
                ticket_id=row.ticket_id,
                target=row.target,
                kind=kind,
                severity=severity,
                due_at=due,
                raised_at=now,
            )
            .on_conflict_do_nothing(index_elements=["ticket_id", "target", "kind"])
        )
        flag = {"breached": True} if kind == "breach" else {"warned": True}
        await session.execute(
            update(SlaTarget).where(SlaTarget.ticket_id == row.ticket_id, SlaTarget.target == row.target).values(**flag)
        )
        if not inserted.rowcount:  # type: ignore[attr-defined]
            continue  # another replica raised it first
        if kind == "breach":
            await _publish_breach(ctx, session, row, severity, due, now)
        else:
            log.info("sla warning", ticket_id=row.ticket_id, target=row.target, due_at=str(row.due_at))
    return len(rows)


async def _publish_breach(
    ctx: SupportUseCase, session: AsyncSession, row: SlaTarget, severity: str, due: datetime, now: datetime
) -> None:
    reseller_id = await session.scalar(select(Ticket.reseller_id).where(Ticket.id == row.ticket_id))
    await ctx.runtime.outbox.add(
        session,
        SlaBreachedV1(
            ticket_id=row.ticket_id,
            reseller_id=str(reseller_id),
            target=row.target,  # type: ignore[arg-type]
            severity=severity,  # type: ignore[arg-type]
            due_at=due,
            breached_at=max(now, due),
        ),
        now=now,
    )
