"""Subscriptions' settings as data: which changes are accepted, what a change announces, and a fresh database's
first values.

docs/domain.md, "Trials", "Billing profiles" and "Settings as data". The kinds and how they are read:
`adapters/trial_policies.py` and `adapters/billing_profiles.py`.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bss.calendar_months import next_period, period_containing
from bss.effective_settings import SettingKind, SettingsStore, SettingVersion
from bss.events.contracts.subscriptions import ResellerBillingProfileChangedV1
from bss.problems import Conflict, NotFound, ValidationProblem, field_error
from bss.usecase import UseCase
from bss.vat_ids import vat_id_problem
from subscriptions.adapters.billing_profiles import (
    BILLING_PROFILES,
    BillingProfileValue,
    profile_on,
    profile_version,
)
from subscriptions.adapters.repository import load_product, priceable_currencies
from subscriptions.adapters.trial_policies import DEFAULT_SCOPE, TRIAL_POLICIES, seed_from_environment
from subscriptions.errors import ResellerNotFound
from subscriptions.models import Reseller, setting_versions
from subscriptions.runtime import SubscriptionsRuntime
from subscriptions.usecases.recording import publish

__all__ = ["STORE", "announce_change", "check_change", "profile_in_force", "seed_settings"]

STORE = SettingsStore(setting_versions, (TRIAL_POLICIES, BILLING_PROFILES))


async def check_change(
    session: AsyncSession, kind: SettingKind[Any], scope: str, value: Any, effective_from: date
) -> None:
    """The guard of every settings change of this service."""
    if kind is TRIAL_POLICIES:
        await _refuse_unknown_products(session, kind, scope, value)
    elif kind is BILLING_PROFILES:
        await _refuse_unbillable_profile(session, scope, value, effective_from)


async def _refuse_unknown_products(session: AsyncSession, kind: SettingKind[Any], scope: str, value: Any) -> None:
    """A product's policy names a contract tier product this service knows (from catalog events); the default
    `*` may be changed but never removed, so every trial has a policy."""
    if scope == DEFAULT_SCOPE:
        if value is None:
            message = "The default policy (*) cannot be removed; set another value from a date instead."
            raise Conflict(f"{kind.title}: {message}", errors=[field_error("scope", message)])
        return
    if await load_product(session, scope) is None:
        message = f"{scope} is not a contract tier product this service knows (GET /v1/catalog/products)."
        raise ValidationProblem(f"{kind.title}: {message}", errors=[field_error("scope", message)])


def first_invoice_date(effective_from: date) -> date:
    """The invoice date of the first period a profile effective from `effective_from` applies to (a period takes
    the profile in force on its first day)."""
    first_period = period_containing(effective_from)
    if first_period != effective_from:
        first_period = next_period(first_period)
    return next_period(first_period)


async def _refuse_unbillable_profile(
    session: AsyncSession, reseller_id: str, value: BillingProfileValue, effective_from: date
) -> None:
    """A profile is for a registered reseller, from its registration day on, with a VAT id of the reseller's
    country (EU: the reverse charge reads it so), in a currency an invoice can be priced in (a vendor price list, or
    one linked to one by FX rates) on the first invoice it applies to."""
    reseller = await session.get(Reseller, reseller_id)
    if reseller is None:
        raise ResellerNotFound()
    if problem := vat_id_problem(value.vat_id, reseller.country):
        message = f"{problem}: the reseller is established in {reseller.country}"
        raise ValidationProblem(f"Billing profile: vat_id is {message}.", errors=[field_error("value.vat_id", message)])
    registered_on = reseller.registered_at.date()
    if effective_from < registered_on:
        message = f"the reseller was registered on {registered_on.isoformat()}; a profile applies from then on"
        raise ValidationProblem(f"Billing profile: {message}.", errors=[field_error("effective_from", message)])
    invoice_date = first_invoice_date(effective_from)
    if value.invoice_currency not in await priceable_currencies(session, invoice_date):
        message = (
            f"no vendor price list and no FX rate effective by {invoice_date.isoformat()} prices invoices in "
            f"{value.invoice_currency} (publish rates in the catalog first)"
        )
        raise ValidationProblem(f"Billing profile: {message}.", errors=[field_error("value.invoice_currency", message)])


async def announce_change(ctx: UseCase[Any], session: AsyncSession, version: SettingVersion[Any]) -> None:
    """A billing profile change goes to billing (`ResellerBillingProfileChanged`) with the change itself."""
    if version.kind != BILLING_PROFILES.name or version.value is None:
        return
    event = ResellerBillingProfileChangedV1(
        reseller_id=version.scope,
        effective_from=version.effective_from,
        profile=version.value,
        recorded_at=version.recorded_at,
    )
    await publish(ctx.runtime, session, event, recorded=ctx.now)


async def profile_in_force(
    runtime: SubscriptionsRuntime, reseller_id: str, on: date
) -> tuple[BillingProfileValue, SettingVersion[BillingProfileValue] | None]:
    """The reseller's profile on `on` and the change it comes from (None: as registered, before profiles were
    recorded)."""
    async with runtime.sessions() as session:
        reseller = await session.get(Reseller, reseller_id)
        if reseller is None:
            raise ResellerNotFound()
        if on < reseller.registered_at.date():
            raise NotFound(
                f"The reseller was registered on {reseller.registered_at.date().isoformat()}; no profile before."
            )
        return await profile_on(session, reseller, on), await profile_version(session, reseller_id, on)


async def seed_settings(runtime: SubscriptionsRuntime) -> None:
    """On start: a fresh database takes its default trial policy from the environment (`SUBSCRIPTIONS_TRIAL_DAYS`,
    `SUBSCRIPTIONS_TRIAL_AUTO_CONVERT`); from then on it is data, changed through the admin API."""
    settings = runtime.settings
    async with runtime.sessions() as session, session.begin():
        await seed_from_environment(session, settings.trial_days, settings.trial_auto_convert, runtime.clock.now())
