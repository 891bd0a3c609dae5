"""Queries of the subscriptions service, returning typed rows or the domain's facts."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date
from decimal import Decimal

from sqlalchemy import String, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from bss.availability import NewPartnerRule
from bss.money import PRICE_LIST_CURRENCIES
from subscriptions.domain.catalog_model import Product, ProductVersion
from subscriptions.domain.lifecycle import LIVE_STATUSES
from subscriptions.domain.ordering import HeldSubscription, ResellerFacts
from subscriptions.domain.priceable import FxLink, reachable_currencies
from subscriptions.domain.tier_changes import ScheduledChange
from subscriptions.domain.timeline import StatusChange
from subscriptions.models import (
    CatalogDeactivation,
    CatalogFxPair,
    CatalogFxRate,
    CatalogProductVersion,
    RampUpPolicy,
    Reseller,
    StatusChangeRow,
    Subscription,
    TierChangeRow,
)


def _version(row: CatalogProductVersion) -> ProductVersion:
    rule = (
        NewPartnerRule(tuple(row.restricted_countries), row.restricted_partners_since)
        if row.restricted_countries and row.restricted_partners_since is not None
        else None
    )
    return ProductVersion(
        product_id=row.product_id,
        effective_from=row.effective_from,
        code=row.code,
        name=row.name,
        tier=row.tier,
        commitments={currency: Decimal(amount) for currency, amount in row.commitments.items()},
        upgrade_product_ids=frozenset(row.upgrade_product_ids),
        exclusion_set=row.exclusion_set,
        orderable_before=row.orderable_before,
        new_partner_rule=rule,
    )


async def load_products(session: AsyncSession, product_ids: Iterable[str] | None = None) -> dict[str, Product]:
    """The read model's products with every version (all products, or those asked for)."""
    versions_query = select(CatalogProductVersion)
    deactivations_query = select(CatalogDeactivation)
    if product_ids is not None:
        wanted = sorted(set(product_ids))
        versions_query = versions_query.where(CatalogProductVersion.product_id.in_(wanted))
        deactivations_query = deactivations_query.where(CatalogDeactivation.product_id.in_(wanted))
    versions: dict[str, list[ProductVersion]] = defaultdict(list)
    for row in (await session.scalars(versions_query)).all():
        versions[row.product_id].append(_version(row))
    deactivated = {row.product_id: row.effective_from for row in (await session.scalars(deactivations_query)).all()}
    return {pid: Product(pid, found, deactivated.get(pid)) for pid, found in versions.items()}


async def load_product(session: AsyncSession, product_id: str) -> Product | None:
    return (await load_products(session, [product_id])).get(product_id)


async def priceable_currencies(session: AsyncSession, on: date) -> set[str]:
    """The price-list currencies and every currency linked to one by FX quotes effective on or before `on` (per-USD
    rates and pairs, either direction): one query, each quoted link once with its first effective date."""
    rates = (
        select(
            literal("USD", String(3)).label("a"),
            CatalogFxRate.currency.label("b"),
            func.min(CatalogFxRate.effective_from).label("effective_from"),
        )
        .where(CatalogFxRate.effective_from <= on)
        .group_by(CatalogFxRate.currency)
    )
    pairs = (
        select(
            CatalogFxPair.base.label("a"),
            CatalogFxPair.quote.label("b"),
            func.min(CatalogFxPair.effective_from).label("effective_from"),
        )
        .where(CatalogFxPair.effective_from <= on)
        .group_by(CatalogFxPair.base, CatalogFxPair.quote)
    )
    rows = (await session.execute(union_all(rates, pairs))).all()
    links = [FxLink(a, b, effective_from) for a, b, effective_from in rows]
    return reachable_currencies(PRICE_LIST_CURRENCIES, links, on)


def reseller_facts(reseller: Reseller, billing_currency: str) -> ResellerFacts:
    """What the ordering rules need of a reseller; `billing_currency` is its billing profile's on the day."""
    return ResellerFacts(
        reseller_id=reseller.id,
        status=reseller.status,
        country=reseller.country,
        partner_since=reseller.partner_since,
        billing_currency=billing_currency,
    )


async def held_subscriptions(session: AsyncSession, reseller_id: str) -> list[HeldSubscription]:
    """The reseller's subscriptions that may still hold an exclusion set (live, or cancelled but not yet ended)."""
    rows = await session.scalars(
        select(Subscription).where(
            Subscription.reseller_id == reseller_id, Subscription.status.in_([*LIVE_STATUSES, "cancelled"])
        )
    )
    return [HeldSubscription(s.id, s.exclusion_set, s.status, s.ends_at) for s in rows.all()]


async def scheduled_changes(session: AsyncSession, subscription_id: str) -> list[TierChangeRow]:
    """The tier changes in force (not replaced), oldest period first."""
    rows = await session.scalars(
        select(TierChangeRow)
        .where(TierChangeRow.subscription_id == subscription_id, TierChangeRow.replaced_at.is_(None))
        .order_by(TierChangeRow.effective_from)
    )
    return list(rows.all())


def as_scheduled(rows: Iterable[TierChangeRow]) -> list[ScheduledChange]:
    return [ScheduledChange(row.to_product_id, row.effective_from) for row in rows]


async def status_changes(session: AsyncSession, subscription_id: str) -> list[StatusChange]:
    rows = await session.scalars(
        select(StatusChangeRow).where(StatusChangeRow.subscription_id == subscription_id).order_by(StatusChangeRow.id)
    )
    return [StatusChange(row.at, row.status) for row in rows.all()]


async def ramp_up_policy(session: AsyncSession) -> int:
    """The distributor's ramp-up for all new subscriptions (0 when never set)."""
    row = await session.get(RampUpPolicy, 1)
    return row.cycles if row is not None else 0
