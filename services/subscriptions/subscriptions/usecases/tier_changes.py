"""Tier changes and their preview: the same decision, written or only described."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from bss.calendar_months import period_of
from bss.events.contracts.subscriptions import SubscriptionTierChangedV1
from subscriptions.adapters.billing_profiles import profile_on
from subscriptions.adapters.repository import as_scheduled, load_products, reseller_facts, scheduled_changes
from subscriptions.domain.tier_changes import TierChangeDecision, decide_tier_change, replaced_by, tier_in_force
from subscriptions.errors import ResellerNotFound, RuleRefused, SubscriptionNotFound
from subscriptions.models import Reseller, Subscription, TierChangeRow
from subscriptions.runtime import SubscriptionsRuntime, SubscriptionsUseCase
from subscriptions.settings import SubscriptionsSettings
from subscriptions.usecases.recording import publish, tier_policy
from subscriptions.usecases.records import (
    SubscriptionRecord,
    TierChangeRecord,
    subscription_record,
    tier_change_record,
)


@dataclass(frozen=True, slots=True)
class TierChangeView:
    """A decided (or refused) change, and the pending changes it would replace."""

    subscription: SubscriptionRecord
    decision: TierChangeDecision
    replaces: tuple[TierChangeRecord, ...] = ()


async def _decide(
    settings: SubscriptionsSettings, session: AsyncSession, subscription: Subscription, product_id: str, at: datetime
) -> tuple[TierChangeDecision, list[TierChangeRow]]:
    """The decision, and the pending rows it would replace."""
    reseller = await session.get(Reseller, subscription.reseller_id)
    if reseller is None:
        raise ResellerNotFound()
    rows = await scheduled_changes(session, subscription.id)
    current_id = tier_in_force(subscription.product_id, as_scheduled(rows), period_of(at))
    products = await load_products(session, {current_id, product_id})
    decision = decide_tier_change(
        status=subscription.status,
        current=products[current_id],
        target=products.get(product_id),
        reseller=reseller_facts(reseller, (await profile_on(session, reseller, at.date())).invoice_currency),
        requested_at=at,
        policy=tier_policy(settings),
    )
    replaced: list[TierChangeRow] = []
    if decision.planned is not None:
        doomed = replaced_by(decision.planned.effective_from, as_scheduled(rows))
        replaced = [r for r in rows if any(r.effective_from == d.effective_from for d in doomed)]
    return decision, replaced


def _view(subscription: Subscription, decision: TierChangeDecision, replaced: list[TierChangeRow]) -> TierChangeView:
    return TierChangeView(subscription_record(subscription), decision, tuple(tier_change_record(r) for r in replaced))


async def preview_tier_change(
    runtime: SubscriptionsRuntime, subscription_id: str, product_id: str, at: datetime
) -> TierChangeView:
    """What a change would do (period, commitments, refusals), without writing anything."""
    async with runtime.sessions() as session:
        subscription = await session.get(Subscription, subscription_id)
        if subscription is None:
            raise SubscriptionNotFound()
        decision, replaced = await _decide(runtime.settings, session, subscription, product_id, at)
        return _view(subscription, decision, replaced)


async def change_tier(ctx: SubscriptionsUseCase, subscription_id: str, product_id: str) -> TierChangeView:
    """Move to another tier: an upgrade applies to the current period, a downgrade from the next; the change
    replaces any pending one from its period on, and `SubscriptionTierChanged` says from, to and from when."""
    async with ctx.transaction() as session:
        subscription = await session.get(Subscription, subscription_id, with_for_update=True)
        if subscription is None:
            raise SubscriptionNotFound()
        decision, replaced = await _decide(ctx.settings, session, subscription, product_id, ctx.effective)
        view = _view(subscription, decision, replaced)
        planned = decision.planned
        if planned is None:
            raise RuleRefused(decision.refusals)
        if replaced:
            await session.execute(
                update(TierChangeRow).where(TierChangeRow.id.in_([r.id for r in replaced])).values(replaced_at=ctx.now)
            )
        session.add(
            TierChangeRow(
                id=str(uuid.uuid4()),
                subscription_id=subscription.id,
                from_product_id=planned.from_product_id,
                to_product_id=planned.to_product_id,
                direction=planned.direction,
                effective_from=planned.effective_from,
                requested_at=ctx.effective,
                recorded_at=ctx.now,
            )
        )
        subscription.recorded_at = ctx.now
        event = SubscriptionTierChangedV1(
            subscription_id=subscription.id,
            reseller_id=subscription.reseller_id,
            from_product_id=planned.from_product_id,
            from_tier=planned.from_tier,
            to_product_id=planned.to_product_id,
            to_tier=planned.to_tier,
            direction=planned.direction,
            requested_at=ctx.effective,
            effective_from=planned.effective_from,
        )
        await publish(ctx.runtime, session, event, recorded=ctx.now)
        return view
