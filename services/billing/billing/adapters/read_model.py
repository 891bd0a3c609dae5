"""Queries over billing's read models, returning domain values (product versions, tier schedules, prices, FX)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.domain.catalog_view import DatedAdjustment, DatedPrice, ProductVersion, version_on
from billing.domain.fx import RateTable
from billing.domain.subscription_timeline import PaidWindow, TierStep, product_in_force, waived_periods
from billing.domain.usage_rules import SubscriptionFacts
from billing.models import (
    FxRateRow,
    PriceAdjustmentRow,
    PriceRow,
    ProductVersionRow,
    SubscriptionRow,
    TierChangeRow,
)
from bss.db import among
from bss.events.contracts.value_types import Aggregation
from bss.ramp_up import RampUpWindow


@dataclass(frozen=True, slots=True)
class ProductInfo:
    versions: tuple[ProductVersion, ...]
    skus_by_version: dict[date, dict[str, tuple[str, Aggregation]]]  # sku -> (name, aggregation)

    def skus_on(self, day: date) -> dict[str, tuple[str, Aggregation]]:
        version = version_on(self.versions, day) or min(self.versions, key=lambda v: v.effective_from)
        return self.skus_by_version[version.effective_from]


@dataclass(frozen=True, slots=True)
class Subscription:
    """A subscription as billing's read model holds it (`SubscriptionRow`'s columns, as a plain value: the hot
    paths read a thousand at a time, where ORM objects cost more than the query)."""

    subscription_id: str
    reseller_id: str
    product_id: str
    status: str
    billing_currency: str
    started_at: datetime
    paid_from: datetime | None
    ends_at: datetime | None
    last_billed_period: date | None
    ramp_up_cycles: int
    ramp_up_first_period: date | None
    ramp_up_last_period: date | None
    closed_through: date | None


_SUBSCRIPTION_COLUMNS = tuple(getattr(SubscriptionRow, name) for name in Subscription.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class SubscriptionView:
    row: Subscription
    schedule: tuple[TierStep, ...]

    @property
    def window(self) -> PaidWindow:
        return PaidWindow(self.row.paid_from, self.row.ends_at, self.row.last_billed_period)

    def product_for(self, period: date) -> str:
        return product_in_force(self.row.product_id, self.schedule, period)

    @property
    def ramp_up(self) -> RampUpWindow | None:
        """The periods whose commitment is waived: the window carried by the events, else (older events) the
        one their cycles give."""
        first, last = self.row.ramp_up_first_period, self.row.ramp_up_last_period
        carried = RampUpWindow(first, last) if first is not None and last is not None else None
        return waived_periods(carried, self.window, self.row.ramp_up_cycles)


async def load_products(session: AsyncSession, product_ids: Iterable[str]) -> dict[str, ProductInfo]:
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows = (await session.execute(select(ProductVersionRow).where(ProductVersionRow.product_id.in_(ids)))).scalars()
    grouped: dict[str, list[ProductVersionRow]] = {}
    for row in rows:
        grouped.setdefault(row.product_id, []).append(row)
    return {product_id: _product_info(versions) for product_id, versions in grouped.items()}


def _product_info(rows: list[ProductVersionRow]) -> ProductInfo:
    versions = tuple(
        ProductVersion(
            effective_from=row.effective_from,
            name=row.name,
            tier=row.tier,
            commitments=tuple((currency, Decimal(amount)) for currency, amount in row.commitments.items()),
            previous_tier=row.previous_tier,
            previous_name=row.previous_name,
        )
        for row in rows
    )
    skus = {row.effective_from: {s["sku"]: (s["name"], s["aggregation"]) for s in row.usage_skus} for row in rows}
    return ProductInfo(versions=versions, skus_by_version=skus)


async def load_subscriptions(
    session: AsyncSession, subscription_ids: Iterable[str], *, lock: bool = False
) -> dict[str, SubscriptionView]:
    ids = sorted(set(subscription_ids))  # sorted: concurrent lockers take rows in one order, no deadlock
    if not ids:
        return {}
    query = (
        select(*_SUBSCRIPTION_COLUMNS)
        .where(among(session, SubscriptionRow.subscription_id, ids))
        .order_by(SubscriptionRow.subscription_id)
    )
    if lock:  # FOR UPDATE on PostgreSQL; SQLAlchemy renders none on SQLite (one writer at a time)
        query = query.with_for_update()
    rows = [Subscription(*row) for row in await session.execute(query)]
    changes = (
        await session.execute(select(TierChangeRow).where(among(session, TierChangeRow.subscription_id, ids)))
    ).scalars()
    schedules: dict[str, list[TierStep]] = {}
    for change in changes:
        schedules.setdefault(change.subscription_id, []).append(TierStep(change.effective_from, change.to_product_id))
    return {row.subscription_id: SubscriptionView(row, tuple(schedules.get(row.subscription_id, ()))) for row in rows}


def usage_facts(
    view: SubscriptionView | None, products: dict[str, ProductInfo], period: date
) -> SubscriptionFacts | None:
    """The facts the usage rules check an event of `period` against (None: unknown subscription)."""
    if view is None:
        return None
    product = products.get(view.product_for(period))
    skus = {sku: rule for sku, (_name, rule) in product.skus_on(period).items()} if product else {}
    return SubscriptionFacts(
        reseller_id=view.row.reseller_id,
        status=view.row.status,
        started_at=view.row.started_at,
        window=view.window,
        skus=skus,
    )


async def load_rate_tables(session: AsyncSession) -> list[RateTable]:
    tables: dict[tuple[str, date], dict[str, Decimal]] = {}
    for row in (await session.execute(select(FxRateRow))).scalars():
        tables.setdefault((row.rate_table_id, row.effective_from), {})[row.currency] = row.units_per_usd
    return [RateTable(table_id, effective, rates) for (table_id, effective), rates in tables.items()]


@dataclass(frozen=True, slots=True)
class PriceSources:
    """The dated prices a reseller's SKUs under one product and currency are resolved from."""

    sell: dict[str, list[DatedPrice]]
    custom: dict[str, list[DatedPrice]]
    adjustments: list[DatedAdjustment]


async def resellers_with_custom_prices(session: AsyncSession) -> set[str]:
    """Resellers that have a custom price list (entries or an adjustment rule); the others pay the sell price."""
    entries = select(PriceRow.reseller_id).where(PriceRow.reseller_id.is_not(None)).distinct()
    rules = select(PriceAdjustmentRow.reseller_id).distinct()
    found = set((await session.execute(entries)).scalars()) | set((await session.execute(rules)).scalars())
    return {r for r in found if r is not None}


async def load_prices(session: AsyncSession, reseller_id: str | None, product_id: str, currency: str) -> PriceSources:
    """Sell prices of a product in a currency, and the reseller's custom prices and rules (none for None)."""
    rows = (
        await session.execute(
            select(PriceRow).where(
                PriceRow.product_id == product_id,
                PriceRow.currency == currency,
                (PriceRow.reseller_id.is_(None)) | (PriceRow.reseller_id == reseller_id),
            )
        )
    ).scalars()
    sell: dict[str, list[DatedPrice]] = {}
    custom: dict[str, list[DatedPrice]] = {}
    for row in rows:
        target = sell if row.reseller_id is None else custom
        target.setdefault(row.sku, []).append(DatedPrice(row.effective_from, row.unit_price))
    if reseller_id is None:
        return PriceSources(sell=sell, custom=custom, adjustments=[])
    adjustment_rows = (
        await session.execute(select(PriceAdjustmentRow).where(PriceAdjustmentRow.reseller_id == reseller_id))
    ).scalars()
    adjustments = [DatedAdjustment(a.effective_from, a.kind, a.percent) for a in adjustment_rows]  # type: ignore[arg-type]
    return PriceSources(sell=sell, custom=custom, adjustments=adjustments)
