"""The breach scheduler: raises SLA warnings and breaches at their exact time, once per target per ticket.

It sleeps until the earliest pending warning, breach or certification expiry (or until a use case changed
due times, or `scheduler_max_sleep_s` so it sees other replicas' tickets), then claims what is due. Two
replicas may run at once: on PostgreSQL they claim rows with FOR UPDATE SKIP LOCKED, and on any database
the unique (ticket, target, kind) constraint of `sla_alerts` lets only one of them raise an alert; the
`SlaBreached` event is written only by the transaction whose alert insert took effect.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, time, timedelta

import structlog
from sqlalchemy import Select, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bss.background import BackgroundTask
from bss.db import insert_for
from bss.events.contracts.support import SlaBreachedV1
from support_sla.models import Reseller, SlaAlert, SlaTarget, Ticket
from support_sla.usecases.certification import expire_certifications
from support_sla.usecases.context import Context

log = structlog.get_logger("support_sla.scheduler")
BATCH = 500


def background_tasks(ctx: Context) -> list[BackgroundTask]:
    """The support service's background work: the breach scheduler, unless `scheduler_enabled` is off."""
    scheduler = BreachScheduler(ctx)
    return [BackgroundTask("support-sla-scheduler", scheduler.run, enabled=ctx.settings.scheduler_enabled)]


class BreachScheduler:
    def __init__(self, ctx: Context) -> None:
        self._ctx = ctx

    async def run(self) -> None:
        """Raise what is due, then sleep until the next due instant; until cancelled at shutdown (a tick cut
        short rolls back, and its rows are claimed again at the next one, here or on another replica)."""
        while True:
            try:
                while await self.tick() >= BATCH:
                    pass
                pause = await self.seconds_to_next()
            except Exception:
                log.exception("scheduler tick failed; retrying")
                pause = 1.0
            self._ctx.due_times_changed.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._ctx.due_times_changed.wait(), timeout=pause)

    async def tick(self) -> int:
        """One pass: warnings, breaches and certification expiries due by now. Returns rows handled."""
        ctx = self._ctx
        now = ctx.clock.now()
        async with ctx.sessions() as session, session.begin():
            handled = await self._raise(session, now, "breach")
            handled += await self._raise(session, now, "warning")
            handled += await expire_certifications(ctx, session, now)
        return handled

    def _claim(self, session: AsyncSession, query: Select[SlaTarget]) -> Select[SlaTarget]:
        query = query.order_by(SlaTarget.ticket_id, SlaTarget.target).limit(BATCH)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        return query

    async def _raise(self, session: AsyncSession, now: datetime, kind: str) -> int:
        if kind == "breach":
            query = select(SlaTarget).where(SlaTarget.breached.is_(False), SlaTarget.breach_at <= now)
        else:
            query = select(SlaTarget).where(
                SlaTarget.warned.is_(False), SlaTarget.state == "running", SlaTarget.warning_at <= now
            )
        rows = list(await session.scalars(self._claim(session, query)))
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
                update(SlaTarget)
                .where(SlaTarget.ticket_id == row.ticket_id, SlaTarget.target == row.target)
                .values(**flag)
            )
            if not inserted.rowcount:  # type: ignore[attr-defined]
                continue  # another replica raised it first
            if kind == "breach":
                await self._publish_breach(session, row, severity, due, now)
            else:
                log.info("sla warning", ticket_id=row.ticket_id, target=row.target, due_at=str(row.due_at))
        return len(rows)

    async def _publish_breach(
        self, session: AsyncSession, row: SlaTarget, severity: str, due: datetime, now: datetime
    ) -> None:
        reseller_id = await session.scalar(select(Ticket.reseller_id).where(Ticket.id == row.ticket_id))
        await self._ctx.outbox.add(
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

    async def seconds_to_next(self) -> float:
        """Seconds until the earliest pending warning, breach or certification expiry (capped)."""
        ctx = self._ctx
        cap = ctx.settings.scheduler_max_sleep_s
        async with ctx.sessions() as session:
            breach = await session.scalar(select(func.min(SlaTarget.breach_at)).where(SlaTarget.breached.is_(False)))
            warning = await session.scalar(
                select(func.min(SlaTarget.warning_at)).where(SlaTarget.warned.is_(False), SlaTarget.state == "running")
            )
            expiry = await session.scalar(
                select(func.min(Reseller.certified_until)).where(Reseller.certified.is_(True))
            )
        candidates = [moment for moment in (breach, warning) if moment is not None]
        if expiry is not None:
            candidates.append(datetime.combine(expiry + timedelta(days=1), time(0), tzinfo=UTC))
        if not candidates:
            return cap
        return max(0.0, min(cap, (min(candidates) - ctx.clock.now()).total_seconds()))
