"""Certified employees and the reseller's certification status (seed 002), with `CertificationChanged`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bss.events.contracts.support import CertificationChangedV1
from support_sla.adapters.certifications import claim_expired_certifications
from support_sla.domain.certification import certification_status
from support_sla.errors import InvalidField, ResellerNotFound
from support_sla.models import PLACEHOLDER_COUNTRY, CertifiedEmployee, Reseller
from support_sla.runtime import SLA_DUE_TIMES, SupportRuntime, SupportUseCase


@dataclass(frozen=True, slots=True)
class ResellerView:
    """What support knows of a reseller: its contract and its certification."""

    id: str
    country: str
    signed_on: date
    subscription_id: str | None
    certified: bool
    certified_engineers: int
    certified_until: date | None

    @classmethod
    def of(cls, reseller: Reseller) -> ResellerView:
        return cls(
            id=reseller.id,
            country=reseller.country,
            signed_on=reseller.signed_on,
            subscription_id=reseller.subscription_id,
            certified=reseller.certified,
            certified_engineers=reseller.certified_engineers,
            certified_until=reseller.certified_until,
        )


async def add_certified_employee(ctx: SupportUseCase, reseller_id: str, name: str, certified_on: date) -> ResellerView:
    """Record an employee's certification; a date in the future is refused."""
    now = ctx.now
    if certified_on > now.date():
        raise InvalidField("certified_on", "a certification date cannot be in the future")
    async with ctx.transaction() as session:
        reseller = await session.get(Reseller, reseller_id, with_for_update=True)
        if reseller is None:
            raise ResellerNotFound(reseller_id)
        session.add(
            CertifiedEmployee(
                id=str(uuid.uuid4()), reseller_id=reseller_id, name=name, certified_on=certified_on, recorded_at=now
            )
        )
        await session.flush()
        await refresh_certification(ctx, session, reseller, now)
        certified = ResellerView.of(reseller)
    ctx.runtime.wakeup(SLA_DUE_TIMES).set()  # the scheduler also watches certification expiries
    return certified


async def known_reseller(runtime: SupportRuntime, reseller_id: str) -> ResellerView:
    """The reseller as support knows it; 404 also while only a subscription event has named it."""
    async with runtime.sessions() as session:
        reseller = await session.get(Reseller, reseller_id)
    if reseller is None or reseller.country == PLACEHOLDER_COUNTRY:
        raise ResellerNotFound(reseller_id)
    return ResellerView.of(reseller)


async def refresh_certification(ctx: SupportUseCase, session: AsyncSession, reseller: Reseller, now: datetime) -> bool:
    """Recompute the status as of today; emit `CertificationChanged` on every change, expiry included."""
    dates = await session.scalars(
        select(CertifiedEmployee.certified_on).where(CertifiedEmployee.reseller_id == reseller.id)
    )
    status = certification_status(list(dates), now.date())
    was_certified, was_until, was_count = reseller.certified, reseller.certified_until, reseller.certified_engineers
    reseller.certified, reseller.certified_until = status.certified, status.valid_until
    reseller.certified_engineers = status.certified_engineers
    if not status.certified and not was_certified:
        return False  # e.g. the first of two engineers: still not certified, nothing changed for billing
    if status.certified and (was_certified, was_until, was_count) == (
        True,
        status.valid_until,
        status.certified_engineers,
    ):
        return False
    effective = now
    if status.certified:
        change = "renewed" if was_certified else "certified"
    elif was_until is not None and was_until < now.date():
        change = "expired"
        effective = datetime.combine(was_until + timedelta(days=1), time(0), tzinfo=UTC)
    else:
        change = "engineers_below_minimum"
    await ctx.runtime.outbox.add(
        session,
        CertificationChangedV1(
            reseller_id=reseller.id,
            certified=status.certified,
            change=change,  # type: ignore[arg-type]
            certified_engineers=status.certified_engineers,
            valid_until=status.valid_until,
            effective_at=effective,
        ),
        now=now,
    )
    return True


async def expire_certifications(ctx: SupportUseCase, session: AsyncSession, now: datetime) -> int:
    """Resellers whose certification ran out: recomputed, each emitting `CertificationChanged` once."""
    changed = 0
    for reseller in await claim_expired_certifications(session, now.date()):
        changed += int(await refresh_certification(ctx, session, reseller, now))
    return changed
