"""Reseller use cases: registration, suspension and reactivation, and ramp-up grants."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from bss.api.idempotency import IdempotencyStore, IdempotentRequest, StoredAnswer
from bss.events.contracts.subscriptions import (
    DEFAULT_LOCALE,
    DEFAULT_PAYMENT_TERMS_DAYS,
    PostalAddress,
    ResellerRegisteredV1,
    ResellerStatus,
    ResellerStatusChangedV1,
)
from bss.problems import Conflict
from subscriptions.adapters.billing_profiles import BillingProfileValue, record_profile
from subscriptions.domain.ramp_up import grant_refusal
from subscriptions.errors import ResellerNotFound, refuse
from subscriptions.models import RampUpPolicy, Reseller, messaging
from subscriptions.runtime import SubscriptionsRuntime, SubscriptionsUseCase
from subscriptions.usecases.recording import publish
from subscriptions.usecases.records import ResellerRecord, reseller_record
from subscriptions.usecases.settings import announce_change

idempotency = IdempotencyStore(messaging)


@dataclass(frozen=True, slots=True)
class RegisterReseller:
    legal_name: str
    billing_email: str
    billing_address: dict[str, Any]
    country: str
    partner_since: date
    billing_currency: str
    contract_signed_on: date
    tax_id: str | None = None
    reseller_id: str | None = None
    price_list_currency: str | None = None
    payment_terms_days: int = DEFAULT_PAYMENT_TERMS_DAYS
    locale: str = DEFAULT_LOCALE

    def profile(self) -> BillingProfileValue:
        """The first billing profile (validated by the API's schema: a VAT id of the address's country)."""
        return BillingProfileValue(
            legal_name=self.legal_name,
            billing_email=self.billing_email,
            billing_address=PostalAddress.model_validate(self.billing_address),
            vat_id=self.tax_id,
            invoice_currency=self.billing_currency,
            price_list_currency=self.price_list_currency,
            payment_terms_days=self.payment_terms_days,
            locale=self.locale,
        )


async def register_reseller(
    ctx: SubscriptionsUseCase, command: RegisterReseller, request: IdempotentRequest | None
) -> ResellerRecord:
    """A reseller joins: stored with its billing details, its first billing profile recorded from its registration
    day, and both announced (`ResellerRegistered`, `ResellerBillingProfileChanged`)."""
    async with ctx.transaction() as session:
        stored = await idempotency.find(session, request)
        if stored is not None:
            found = await session.get(Reseller, stored.body["id"])
            assert found is not None
            return reseller_record(found)
        reseller = Reseller(
            id=command.reseller_id or str(uuid.uuid4()),
            legal_name=command.legal_name,
            billing_email=command.billing_email,
            billing_address=command.billing_address,
            country=command.country,
            partner_since=command.partner_since,
            billing_currency=command.billing_currency,
            contract_signed_on=command.contract_signed_on,
            tax_id=command.tax_id,
            status="active",
            registered_at=ctx.effective,
            recorded_at=ctx.now,
        )
        if await session.get(Reseller, reseller.id) is not None:
            raise Conflict(f"Reseller {reseller.id} is already registered.")
        session.add(reseller)
        try:
            await session.flush()
        except IntegrityError as exc:
            raise Conflict(f"Reseller {reseller.id} is already registered.") from exc
        await publish(ctx.runtime, session, _registered(reseller), recorded=ctx.now)
        profile = await record_profile(
            session,
            reseller.id,
            command.profile(),
            effective_from=reseller.registered_at.date(),
            recorded_by=ctx.caller.subject,
            recorded_at=ctx.now,
            reason="registration",
        )
        await announce_change(ctx, session, profile)
        await idempotency.remember(session, request, StoredAnswer(201, {"id": reseller.id}), now=ctx.now)
    return reseller_record(reseller)


def _registered(reseller: Reseller) -> ResellerRegisteredV1:
    return ResellerRegisteredV1(
        reseller_id=reseller.id,
        legal_name=reseller.legal_name,
        country=reseller.country,
        partner_since=reseller.partner_since,
        billing_currency=reseller.billing_currency,
        billing_email=reseller.billing_email,
        billing_address=PostalAddress.model_validate(reseller.billing_address),
        tax_id=reseller.tax_id,
        registered_at=reseller.registered_at,
        contract_signed_on=reseller.contract_signed_on,
    )


async def set_reseller_status(ctx: SubscriptionsUseCase, reseller_id: str, status: ResellerStatus) -> ResellerRecord:
    """A suspended reseller cannot order; reactivation lets it order again. A real change emits its event."""
    async with ctx.transaction() as session:
        reseller = await session.get(Reseller, reseller_id, with_for_update=True)
        if reseller is None:
            raise ResellerNotFound()
        if reseller.status != status:
            reseller.status = status
            reseller.recorded_at = ctx.now
            event = ResellerStatusChangedV1(reseller_id=reseller.id, status=status, changed_at=ctx.effective)
            await publish(ctx.runtime, session, event, recorded=ctx.now)
    return reseller_record(reseller)


async def grant_reseller_ramp_up(ctx: SubscriptionsUseCase, reseller_id: str, cycles: int | None) -> ResellerRecord:
    """The distributor grants one reseller a ramp-up for its new subscriptions (0..3; the start date caps it)."""
    if cycles is not None and (problem := grant_refusal(cycles)):
        raise refuse("ramp_up_cap", "cycles", problem)
    async with ctx.transaction() as session:
        reseller = await session.get(Reseller, reseller_id, with_for_update=True)
        if reseller is None:
            raise ResellerNotFound()
        reseller.ramp_up_cycles = cycles
        reseller.recorded_at = ctx.now
    return reseller_record(reseller)


async def set_ramp_up_policy(ctx: SubscriptionsUseCase, cycles: int) -> int:
    """The distributor's ramp-up for all new subscriptions (0..3; the start date caps it)."""
    if problem := grant_refusal(cycles):
        raise refuse("ramp_up_cap", "cycles", problem)
    async with ctx.transaction() as session:
        row = await session.get(RampUpPolicy, 1, with_for_update=True)
        if row is None:
            session.add(RampUpPolicy(id=1, cycles=cycles, updated_at=ctx.now))
        else:
            row.cycles, row.updated_at = cycles, ctx.now
    return cycles


async def list_resellers(runtime: SubscriptionsRuntime, after: str | None, limit: int) -> list[ResellerRecord]:
    async with runtime.sessions() as session:
        query = select(Reseller).order_by(Reseller.id).limit(limit)
        if after is not None:
            query = query.where(Reseller.id > after)
        return [reseller_record(r) for r in (await session.scalars(query)).all()]


async def get_reseller(runtime: SubscriptionsRuntime, reseller_id: str) -> ResellerRecord:
    async with runtime.sessions() as session:
        reseller = await session.get(Reseller, reseller_id)
    if reseller is None:
        raise ResellerNotFound()
    return reseller_record(reseller)
