"""Ticket fees, incident quota and paid incidents, and their credits (seed 002)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bss.db import insert_for
from bss.events.contracts.support import IncidentChargedV1, IncidentCreditedV1
from bss.money import round_money
from support_sla.domain.incident_quota import quota_position
from support_sla.models import Incident, Reseller, SupportCharge, Ticket
from support_sla.runtime import SupportUseCase


async def add_incident(
    ctx: SupportUseCase, session: AsyncSession, ticket: Ticket, reseller: Reseller, summary: str, at: datetime
) -> Incident:
    """Count a new incident against the reseller's quota; over quota it is a paid incident (seed 002)."""
    on = at.date()
    position = quota_position(reseller.signed_on, on, 0)
    used = await session.scalar(
        select(func.count())
        .select_from(Incident)
        .where(
            Incident.reseller_id == reseller.id,
            Incident.contract_year == position.contract_year,
            Incident.counted.is_(True),
        )
    )
    position = quota_position(reseller.signed_on, on, int(used or 0))
    incident = Incident(
        id=str(uuid.uuid4()),
        ticket_id=ticket.id,
        reseller_id=reseller.id,
        summary=summary,
        reported_at=at,
        contract_year=position.contract_year,
        counted=not position.unlimited,
        billable=position.billable,
    )
    session.add(incident)
    await session.flush()
    if incident.billable:
        s = ctx.settings
        await _charge(
            ctx,
            session,
            ticket,
            reseller,
            "paid_incident",
            s.paid_incident_amount,
            s.paid_incident_currency,
            at,
            incident.id,
        )
    return incident


async def charge_ticket_fee(
    ctx: SupportUseCase, session: AsyncSession, ticket: Ticket, reseller: Reseller, at: datetime
) -> None:
    """A non-certified reseller pays a fee per ticket (seed 002); reversed if a defect is confirmed."""
    if reseller.certified:
        return
    s = ctx.settings
    await _charge(ctx, session, ticket, reseller, "ticket_fee", s.ticket_fee_amount, s.ticket_fee_currency, at, None)


async def _charge(
    ctx: SupportUseCase,
    session: AsyncSession,
    ticket: Ticket,
    reseller: Reseller,
    kind: str,
    amount: Decimal,
    currency: str,
    at: datetime,
    incident_id: str | None,
) -> None:
    key = f"{kind}:{incident_id or ticket.id}"
    charge_id = str(uuid.uuid4())
    inserted = await session.execute(
        insert_for(session)(SupportCharge)
        .values(
            id=charge_id,
            dedupe_key=key,
            ticket_id=ticket.id,
            reseller_id=reseller.id,
            incident_id=incident_id,
            kind=kind,
            amount=round_money(amount, currency),
            currency=currency,
            charged_at=at,
            published=False,
            reversed=False,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
    )
    if inserted.rowcount and reseller.subscription_id:  # type: ignore[attr-defined]
        charge = await session.get_one(SupportCharge, charge_id)
        await publish_charge(ctx, session, charge, ticket.subject, reseller.subscription_id)


async def publish_charge(
    ctx: SupportUseCase, session: AsyncSession, charge: SupportCharge, subject: str, subscription_id: str
) -> None:
    """Emit `IncidentCharged` for a charge once its contract subscription is known."""
    text = (
        "Support ticket fee (non-certified service provider)"
        if charge.kind == "ticket_fee"
        else "Paid support incident (over the annual quota)"
    )
    await ctx.runtime.outbox.add(
        session,
        IncidentChargedV1(
            ticket_id=charge.ticket_id,
            reseller_id=charge.reseller_id,
            charge_id=charge.id,
            subscription_id=subscription_id,
            kind=charge.kind,  # type: ignore[arg-type]
            incident_id=charge.incident_id,
            amount=round_money(charge.amount, charge.currency),
            currency=charge.currency,
            charged_at=charge.charged_at,
            description=f"{text}: {subject}"[:4000],
        ),
        now=ctx.now,
    )
    charge.published = True


async def publish_pending_charges(ctx: SupportUseCase, session: AsyncSession, reseller: Reseller) -> None:
    """Charges made before the reseller's subscription was known go out now."""
    if not reseller.subscription_id:
        return
    rows = await session.execute(
        select(SupportCharge, Ticket.subject)
        .join(Ticket, Ticket.id == SupportCharge.ticket_id)
        .where(SupportCharge.reseller_id == reseller.id, SupportCharge.published.is_(False))
    )
    for charge, subject in rows.all():
        await publish_charge(ctx, session, charge, subject, reseller.subscription_id)


async def reverse_ticket_fee(
    ctx: SupportUseCase, session: AsyncSession, ticket: Ticket, reseller: Reseller, at: datetime
) -> None:
    """A confirmed product defect waives the ticket fee: its charge is reversed once (seed 002)."""
    charge = await session.scalar(
        select(SupportCharge).where(
            SupportCharge.dedupe_key == f"ticket_fee:{ticket.id}", SupportCharge.reversed.is_(False)
        )
    )
    if charge is None:
        return
    await session.execute(update(SupportCharge).where(SupportCharge.id == charge.id).values(reversed=True))
    if not charge.published or not reseller.subscription_id:
        charge.published = True  # never billed: nothing to reverse on an invoice
        return
    await ctx.runtime.outbox.add(
        session,
        IncidentCreditedV1(
            ticket_id=ticket.id,
            reseller_id=reseller.id,
            credit_id=str(uuid.uuid4()),
            subscription_id=reseller.subscription_id,
            kind="charge_reversal",
            charge_id=charge.id,
            amount=round_money(charge.amount, charge.currency),
            currency=charge.currency,
            credited_at=at,
            reason="Confirmed product defect: ticket fee waived.",
        ),
        now=ctx.now,
    )


async def credit_unknown_bug(
    ctx: SupportUseCase, session: AsyncSession, incident: Incident, reseller: Reseller, at: datetime
) -> None:
    """A previously unknown bug returns the incident to the quota (`IncidentCredited`, quota_credit)."""
    if incident.unknown_bug:
        return
    incident.unknown_bug = True
    if not incident.counted:
        return
    incident.counted = False
    if reseller.subscription_id:
        await ctx.runtime.outbox.add(
            session,
            IncidentCreditedV1(
                ticket_id=incident.ticket_id,
                reseller_id=reseller.id,
                credit_id=str(uuid.uuid4()),
                subscription_id=reseller.subscription_id,
                kind="quota_credit",
                quota_incidents=1,
                credited_at=at,
                reason=f"Previously unknown bug reported: {incident.summary}"[:4000],
            ),
            now=ctx.now,
        )
