"""Certifications running out: the resellers to recompute, claimed against other replicas (FOR UPDATE SKIP LOCKED on
PostgreSQL; SQLite, the single-replica embedded default, has no row locks)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from support_sla.models import Reseller


async def claim_expired_certifications(session: AsyncSession, today: date) -> list[Reseller]:
    """The certified resellers whose certification ended before `today`, locked against other replicas."""
    query = select(Reseller).where(Reseller.certified.is_(True), Reseller.certified_until < today)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(await session.scalars(query))
