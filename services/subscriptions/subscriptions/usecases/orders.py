"""Placing an order: validate every rule as of the start date, then create the subscription and its events.

The exclusion set is checked twice: by `order_refusals` (a clear answer naming every broken rule) and by the
partial unique index on live subscriptions, which decides between two concurrent orders on both databases.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Literal

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bss.api.idempotency import IdempotencyStore, IdempotentRequest, StoredAnswer
from bss.calendar_months import next_period, period_of
from bss.events.contracts.subscriptions import RampUpGrantedV1, SubscriptionCreatedV1, SubscriptionKind
from bss.problems import Conflict
from bss.ramp_up import ramp_up_window
from subscriptions.adapters.billing_profiles import profile_on
from subscriptions.adapters.repository import (
    held_subscriptions,
    load_product,
    priceable_currencies,
    ramp_up_policy,
    reseller_facts,
)
from subscriptions.adapters.trial_policies import trial_policy
from subscriptions.domain.catalog_model import Product
from subscriptions.domain.ordering import Refusal, order_refusals
from subscriptions.domain.ramp_up import cycles_at_creation, ramp_up_refusal
from subscriptions.domain.trials import TrialChoice, TrialTerms, chosen_terms, trial_ends_at
from subscriptions.errors import ExclusionSetTaken, RuleRefused, refuse
from subscriptions.models import Reseller, Subscription, messaging
from subscriptions.runtime import SubscriptionsUseCase
from subscriptions.usecases.recording import enter_status, publish
from subscriptions.usecases.records import SubscriptionRecord, subscription_record

idempotency = IdempotencyStore(messaging)


@dataclass(frozen=True, slots=True)
class PlaceOrder:
    reseller_id: str
    product_id: str
    kind: SubscriptionKind
    start_at: datetime | None
    ramp_up_cycles: int | None
    by_admin: bool
    trial: TrialChoice | None = None
    """A trial's own length or auto-conversion (trial orders only); None: the trial policy's."""
    billed_elsewhere_through: date | None = None
    """An imported paid subscription: the last month another system invoiced (checked by the import)."""


@dataclass(frozen=True, slots=True)
class RampUp:
    cycles: int
    scope: Literal["reseller", "all_new_resellers"]


def _start_refusals(command: PlaceOrder, started_at: datetime, effective: datetime, grace_hours: int) -> list[Refusal]:
    if command.by_admin or started_at >= effective - timedelta(hours=grace_hours):
        return []
    return [
        Refusal(
            "start_in_the_past",
            "start_at",
            f"A subscription cannot start more than {grace_hours} hours in the past; start it now or later.",
        )
    ]


async def _ramp_up(
    session: AsyncSession, command: PlaceOrder, reseller: Reseller | None, started_at: datetime
) -> RampUp:
    on = started_at.date()
    if command.ramp_up_cycles is not None:
        if problem := ramp_up_refusal(command.ramp_up_cycles, on):
            raise RuleRefused([Refusal("ramp_up_cap", "ramp_up_cycles", problem)])
        return RampUp(command.ramp_up_cycles, "reseller")
    if reseller is not None and reseller.ramp_up_cycles is not None:
        return RampUp(cycles_at_creation(reseller.ramp_up_cycles, on), "reseller")
    return RampUp(cycles_at_creation(await ramp_up_policy(session), on), "all_new_resellers")


async def _trial_terms(session: AsyncSession, command: PlaceOrder, started_at: datetime) -> TrialTerms:
    """The trial policy in force on the start day (the product's, else `*`), overridden by the order's choice."""
    on = started_at.date()
    policy = await trial_policy(session, command.product_id, on)
    if policy is None:
        raise Conflict(
            f"No trial policy is in force on {on.isoformat()}; an admin sets one (PUT /v1/settings/trial-policies/*).",
            errors=[{"field": "kind", "message": "no trial policy in force", "rule": "trial_policy_missing"}],
            rules=["trial_policy_missing"],
        )
    return chosen_terms(policy, command.trial)


async def place_order(
    ctx: SubscriptionsUseCase, command: PlaceOrder, request: IdempotentRequest | None
) -> SubscriptionRecord:
    """A reseller orders a contract product (quantity 1) as a trial or paid, from `start_at` (default: now).

    A trial runs for the trial policy in force on its start day (DOMAIN: Trials), unless the order chose its own
    length or auto-conversion; a paid order that names trial terms is refused."""
    settings = ctx.settings
    started_at = (command.start_at or ctx.effective).astimezone(UTC)
    if command.kind != "trial" and command.trial is not None:
        raise refuse("trial_terms_on_paid_order", "trial", "Only a trial order has trial terms; leave trial out.")
    async with ctx.transaction() as session:
        stored = await idempotency.find(session, request)
        if stored is not None:
            found = await session.get(Subscription, stored.body["id"])
            assert found is not None
            return subscription_record(found)
        reseller = await session.get(Reseller, command.reseller_id)
        currency = (await profile_on(session, reseller, started_at.date())).invoice_currency if reseller else ""
        product = await load_product(session, command.product_id)
        refusals = _start_refusals(command, started_at, ctx.effective, settings.order_start_grace_hours)
        refusals += order_refusals(
            reseller=reseller_facts(reseller, currency) if reseller else None,
            product=product,
            start_on=started_at.date(),
            started_at=started_at,
            held=await held_subscriptions(session, command.reseller_id) if reseller else [],
            priceable_currencies=await priceable_currencies(session, next_period(period_of(started_at))),
        )
        if refusals:
            raise RuleRefused(refusals)
        assert reseller is not None
        assert product is not None
        ramp_up = await _ramp_up(session, command, reseller, started_at)
        terms = await _trial_terms(session, command, started_at) if command.kind == "trial" else None
        subscription = _new_subscription(ctx, command, reseller, currency, product, started_at, ramp_up, terms)
        session.add(subscription)
        try:  # the partial unique index decides between concurrent orders; the whole transaction rolls back
            await session.flush()
        except IntegrityError as exc:
            raise ExclusionSetTaken() from exc
        await enter_status(session, subscription, subscription.status, at=started_at, recorded=ctx.now)
        await _publish_created(ctx, session, subscription, product, ramp_up)
        await idempotency.remember(session, request, StoredAnswer(201, {"id": subscription.id}), now=ctx.now)
    return subscription_record(subscription)


def _new_subscription(
    ctx: SubscriptionsUseCase,
    command: PlaceOrder,
    reseller: Reseller,
    currency: str,
    product: Product,
    started_at: datetime,
    ramp_up: RampUp,
    terms: TrialTerms | None,
) -> Subscription:
    trial = terms is not None
    version = product.as_of(started_at.date())
    assert version is not None
    return Subscription(
        id=str(uuid.uuid4()),
        reseller_id=reseller.id,
        product_id=product.product_id,
        exclusion_set=version.exclusion_set or f"product:{product.product_id}",
        status="trial" if trial else "active",
        kind=command.kind,
        billing_currency=currency,
        started_at=started_at,
        trial_ends_at=trial_ends_at(started_at, terms.days) if terms is not None else None,
        auto_convert=terms.auto_convert if terms is not None else False,
        paid_from=None if trial else started_at,
        ramp_up_cycles=ramp_up.cycles,
        ramp_up_scope=ramp_up.scope if ramp_up.cycles else None,
        ramp_up_first_period=None if trial or not ramp_up.cycles else period_of(started_at),
        billed_elsewhere_through=command.billed_elsewhere_through,
        created_at=ctx.effective,
        recorded_at=ctx.now,
    )


async def _publish_created(
    ctx: SubscriptionsUseCase, session: AsyncSession, subscription: Subscription, product: Product, ramp_up: RampUp
) -> None:
    version = product.as_of(subscription.started_at.date())
    assert version is not None
    created = SubscriptionCreatedV1(
        subscription_id=subscription.id,
        reseller_id=subscription.reseller_id,
        product_id=subscription.product_id,
        tier=version.tier,
        kind="trial" if subscription.kind == "trial" else "paid",
        started_at=subscription.started_at,
        trial_ends_at=subscription.trial_ends_at,
        auto_convert=subscription.auto_convert,
        billing_currency=subscription.billing_currency,
        billed_elsewhere_through=subscription.billed_elsewhere_through,
    )
    await publish(ctx.runtime, session, created, recorded=ctx.now)
    if ramp_up.cycles:
        window = ramp_up_window(subscription.ramp_up_first_period, ramp_up.cycles)  # None for a trial
        granted = RampUpGrantedV1(
            subscription_id=subscription.id,
            reseller_id=subscription.reseller_id,
            cycles=ramp_up.cycles,
            first_period=window.first_period if window is not None else None,
            last_period=window.last_period if window is not None else None,
            scope=ramp_up.scope,
            granted_at=ctx.effective,
        )
        await publish(ctx.runtime, session, granted, recorded=ctx.now)
