"""The SLA targets coming due: claimed in batches (FOR UPDATE SKIP LOCKED on PostgreSQL), and the next due instant."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from support_sla.models import Reseller, SlaTarget

AlertKind = Literal["breach", "warning"]


async def claim_due(session: AsyncSession, kind: AlertKind, now: datetime, limit: int) -> list[SlaTarget]:
    """The targets whose breach (or warning) is due by `now` and not raised yet, locked against other replicas."""
    if kind == "breach":
        query = select(SlaTarget).where(SlaTarget.breached.is_(False), SlaTarget.breach_at <= now)
    else:
        query = select(SlaTarget).where(
            SlaTarget.warned.is_(False), SlaTarget.state == "running", SlaTarget.warning_at <= now
        )
    query = query.order_by(SlaTarget.ticket_id, SlaTarget.target).limit(limit)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(await session.scalars(query))


async def next_due(session: AsyncSession) -> list[datetime]:
    """The earliest pending breach, warning and certification expiry (the day after `certified_until`), if any."""
    breach = await session.scalar(select(func.min(SlaTarget.breach_at)).where(SlaTarget.breached.is_(False)))
    warning = await session.scalar(
        select(func.min(SlaTarget.warning_at)).where(SlaTarget.warned.is_(False), SlaTarget.state == "running")
    )
    expiry: date | None = await session.scalar(
        select(func.min(Reseller.certified_until)).where(Reseller.certified.is_(True))
    )
    candidates = [moment for moment in (breach, warning) if moment is not None]
    if expiry is not None:
        candidates.append(datetime.combine(expiry + timedelta(days=1), time(0), tzinfo=UTC))
    return candidates
