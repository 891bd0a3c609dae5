"""Reads: a subscription with its tier in force and pending change, lists, and the per-period timeline."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bss.calendar_months import period_of
from subscriptions.adapters.repository import as_scheduled, load_products, scheduled_changes, status_changes
from subscriptions.domain.catalog_model import Product, ProductVersion
from subscriptions.domain.tier_changes import tier_in_force
from subscriptions.domain.timeline import PeriodLine, SubscriptionHistory, timeline
from subscriptions.errors import SubscriptionNotFound
from subscriptions.models import Subscription, TierChangeRow
from subscriptions.runtime import SubscriptionsRuntime
from subscriptions.usecases.records import (
    SubscriptionRecord,
    TierChangeRecord,
    subscription_record,
    tier_change_record,
)


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    subscription: SubscriptionRecord
    current_product_id: str
    current_version: ProductVersion | None
    pending: TierChangeRecord | None


async def views_of(
    session: AsyncSession, subscriptions: Sequence[Subscription], now: datetime
) -> list[SubscriptionView]:
    """Each subscription with its tier in force now and its pending change, in three queries whatever the count."""
    ids = [s.id for s in subscriptions]
    changes: dict[str, list[TierChangeRow]] = defaultdict(list)
    if ids:
        rows = await session.scalars(
            select(TierChangeRow)
            .where(TierChangeRow.subscription_id.in_(ids), TierChangeRow.replaced_at.is_(None))
            .order_by(TierChangeRow.effective_from)
        )
        for row in rows.all():
            changes[row.subscription_id].append(row)
    period = period_of(now)
    current = {s.id: tier_in_force(s.product_id, as_scheduled(changes[s.id]), period) for s in subscriptions}
    products = await load_products(session, set(current.values())) if ids else {}
    views: list[SubscriptionView] = []
    for s in subscriptions:
        product = products.get(current[s.id])
        version = product.named_as_of(now.date()) if product else None
        pending = next((r for r in changes[s.id] if r.effective_from > period), None)
        views.append(
            SubscriptionView(
                subscription_record(s),
                current[s.id],
                version,
                tier_change_record(pending) if pending is not None else None,
            )
        )
    return views


async def find_subscription(
    runtime: SubscriptionsRuntime, subscription_id: str, reseller_id: str | None
) -> SubscriptionRecord:
    """The subscription, or `SubscriptionNotFound`; scoped to a reseller, another reseller's is not found either."""
    async with runtime.sessions() as session:
        subscription = await session.get(Subscription, subscription_id)
    if subscription is None:
        raise SubscriptionNotFound()
    if reseller_id is not None and subscription.reseller_id != reseller_id:
        raise SubscriptionNotFound()
    return subscription_record(subscription)


async def get_subscription(runtime: SubscriptionsRuntime, subscription_id: str, now: datetime) -> SubscriptionView:
    async with runtime.sessions() as session:
        subscription = await session.get(Subscription, subscription_id)
        if subscription is None:
            raise SubscriptionNotFound()
        return (await views_of(session, [subscription], now))[0]


async def list_subscriptions(
    runtime: SubscriptionsRuntime,
    reseller_id: str | None,
    status: str | None,
    after: str | None,
    limit: int,
    now: datetime,
) -> list[SubscriptionView]:
    async with runtime.sessions() as session:
        query = select(Subscription).order_by(Subscription.id).limit(limit)
        if reseller_id is not None:
            query = query.where(Subscription.reseller_id == reseller_id)
        if status is not None:
            query = query.where(Subscription.status == status)
        if after is not None:
            query = query.where(Subscription.id > after)
        return await views_of(session, list((await session.scalars(query)).all()), now)


async def subscription_periods(
    runtime: SubscriptionsRuntime, subscription: SubscriptionRecord, first: date, last: date
) -> list[PeriodLine]:
    """The timeline billing re-derives from the events: tier, commitment, ramp-up flag and state per period."""
    async with runtime.sessions() as session:
        rows = await scheduled_changes(session, subscription.id)
        history = SubscriptionHistory(
            product_id=subscription.product_id,
            started_at=subscription.started_at,
            ends_at=subscription.ends_at,
            statuses=await status_changes(session, subscription.id),
            changes=as_scheduled(rows),
            ramp_up_first_period=subscription.ramp_up_first_period,
            ramp_up_cycles=subscription.ramp_up_cycles,
            currency=subscription.billing_currency,
        )
        ids = {subscription.product_id, *(r.to_product_id for r in rows)}
        products: dict[str, Product] = await load_products(session, ids)
    return timeline(history, products, first, last)


async def catalog_as_of(runtime: SubscriptionsRuntime, on: date) -> list[tuple[Product, ProductVersion]]:
    """The read model's products with the version in force on `on` (products not yet published are left out)."""
    async with runtime.sessions() as session:
        products = await load_products(session)
    out = [(p, v) for p in products.values() if (v := p.as_of(on)) is not None]
    return sorted(out, key=lambda pv: (pv[1].commitments.get("USD", 0), pv[0].product_id))
