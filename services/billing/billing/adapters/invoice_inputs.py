"""Resolving one subscription's invoice inputs for a period from the read models and the usage aggregates.

Everything the pure invoice function needs is looked up here: the tier in force for the period and its name
on the period's 1st, the commitment, the reseller's unit prices, the FX rate of the invoice date, the usage
quantities per SKU (and late usage of earlier periods as adjustments), support items and the tax rate.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.billing_settings import terms_for
from billing.adapters.read_model import (
    PriceSources,
    ProductInfo,
    SubscriptionView,
    load_prices,
    load_products,
    load_rate_tables,
    profiles_in_force,
    resellers_with_custom_prices,
)
from billing.adapters.usage_aggregates import UsageAggregate
from billing.adapters.usage_store import UsageStore
from billing.domain.aggregation import CustomerUsage, LatestValue, sku_quantity
from billing.domain.billing_terms import BillingTerms, Buyer, Seller
from billing.domain.catalog_view import commitment_on, price_list_currency, reseller_unit_price_on, tier_name_on
from billing.domain.distributor_margin import cost_factor
from billing.domain.fx import FxQuote, MissingRate, NoFxRate, RateTable, quote
from billing.domain.invoice_estimate import UnpricedSupport
from billing.domain.invoice_math import InvoiceInput, RatedUsage, SupportItem, invoice_date_of
from billing.models import ResellerRow, SupportItemRow
from billing.settings import BillingSettings
from bss.calendar_months import days_in_period
from bss.db import among
from bss.events.contracts.billing import InvoiceBuyer
from bss.events.contracts.subscriptions import DEFAULT_LOCALE, DEFAULT_PAYMENT_TERMS_DAYS, BillingProfile
from bss.events.contracts.value_types import Aggregation
from bss.money import round_money
from bss.ramp_up import in_ramp_up

_ZERO = Decimal(0)


class CannotInvoice(Exception):
    """The read models lack something the invoice needs (a price, an FX rate, the product)."""


@dataclass(frozen=True, slots=True)
class ResolvedInvoice:
    inputs: InvoiceInput
    product_id: str
    tier: str
    invoice_date: date
    cost_factor: Decimal
    # Only for an estimate (never an invoice): the rates missing, whose lines the estimate leaves unpriced.
    price_list_rate_missing: MissingRate | None = None
    unpriced_support: tuple[UnpricedSupport, ...] = ()
    buyer: InvoiceBuyer | None = None
    seller: Seller | None = None
    payment_terms_days: int = DEFAULT_PAYMENT_TERMS_DAYS
    locale: str = DEFAULT_LOCALE


@dataclass
class ReadCache:
    """Facts shared by the invoices of one close, read once: FX tables, products, prices, cost factors."""

    rate_tables: list[RateTable] | None = None
    products: dict[str, ProductInfo] = field(default_factory=dict)
    prices: dict[tuple[str | None, str, str], PriceSources] = field(default_factory=dict)
    custom_resellers: set[str] | None = None
    terms: dict[date, BillingTerms] = field(default_factory=dict)
    ratings: dict[tuple[str | None, str, str, date], PeriodRating] = field(default_factory=dict)

    async def terms_of(self, session: AsyncSession, period: date) -> BillingTerms:
        """The settings in force for `period` (`adapters/billing_settings.py`), read once per close."""
        if period not in self.terms:
            self.terms[period] = await terms_for(session, period)
        return self.terms[period]

    async def tables(self, session: AsyncSession) -> list[RateTable]:
        if self.rate_tables is None:
            self.rate_tables = await load_rate_tables(session)
        return self.rate_tables

    async def load_products(self, session: AsyncSession, product_ids: set[str]) -> dict[str, ProductInfo]:
        missing = product_ids - self.products.keys()
        if missing:
            self.products.update(await load_products(session, missing))
        return {p: self.products[p] for p in product_ids if p in self.products}

    async def price_sources(
        self, session: AsyncSession, reseller_id: str, product_id: str, currency: str
    ) -> PriceSources:
        key = (await self._owner(session, reseller_id), product_id, currency)
        if key not in self.prices:
            self.prices[key] = await load_prices(session, key[0], product_id, currency)
        return self.prices[key]

    async def rating(
        self, session: AsyncSession, reseller_id: str, product_id: str, currency: str, usage_period: date
    ) -> PeriodRating:
        """How `product_id`'s SKUs are rated for `usage_period` in `currency` for this reseller: shared by every
        reseller without custom prices, so a close looks each SKU's terms up once, not once per invoice."""
        key = (await self._owner(session, reseller_id), product_id, currency, usage_period)
        if key not in self.ratings:
            product = (await self.load_products(session, {product_id})).get(product_id)
            skus, units = product.sku_units_on(usage_period) if product else ({}, {})
            sources = await self.price_sources(session, reseller_id, product_id, currency)
            self.ratings[key] = PeriodRating(product_id, usage_period, skus, units, sources)
        return self.ratings[key]

    async def _owner(self, session: AsyncSession, reseller_id: str) -> str | None:
        """The reseller, when it has custom prices; None (the sell prices) otherwise."""
        if self.custom_resellers is None:
            self.custom_resellers = await resellers_with_custom_prices(session)
        return reseller_id if reseller_id in self.custom_resellers else None


@dataclass(slots=True)
class PeriodRating:
    """A product's SKUs (name, aggregation, unit) and one reseller's unit prices for them in one usage period."""

    product_id: str
    period: date
    skus: dict[str, tuple[str, Aggregation]]
    units: dict[str, str]
    sources: PriceSources
    days: int = 0
    unit_prices: dict[str, Decimal | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.days = days_in_period(self.period)

    def unit_price(self, sku: str) -> Decimal | None:
        if sku not in self.unit_prices:
            sources = self.sources
            self.unit_prices[sku] = reseller_unit_price_on(
                sources.sell.get(sku, []), sources.custom.get(sku, []), sources.adjustments, self.period
            )
        return self.unit_prices[sku]


@dataclass
class Prefetch:
    """Rows of a group of subscriptions read together (a month close reads a chunk at a time)."""

    usage: dict[str, list[UsageAggregate]]
    resellers: dict[str, ResellerRow]
    support: dict[str, list[SupportItemRow]]
    profiles: dict[str, BillingProfile] = field(default_factory=dict)
    """Each reseller's billing profile in force on the period's first day (none: registered before profiles)."""


async def prefetch(
    session: AsyncSession,
    store: UsageStore,
    subscription_ids: list[str],
    reseller_ids: set[str],
    period: date,
    *,
    billed_after: date | None = None,
) -> Prefetch:
    """Three queries for the usage, resellers and support items of many subscriptions; usage billed on
    `period`'s invoice or earlier, and after `billed_after` (the earliest period the group has invoiced
    through; each subscription then keeps only what its own invoice carries), read by the database's `store`."""
    usage: dict[str, list[UsageAggregate]] = {s: [] for s in subscription_ids}
    for row in await store.aggregates_of(session, subscription_ids, period, billed_after):
        usage[row.subscription_id].append(row)
    resellers = {
        row.reseller_id: row
        for row in (
            await session.execute(select(ResellerRow).where(among(session, ResellerRow.reseller_id, reseller_ids)))
        ).scalars()
    }
    support: dict[str, list[SupportItemRow]] = {s: [] for s in subscription_ids}
    items = select(SupportItemRow).where(
        among(session, SupportItemRow.subscription_id, subscription_ids),
        func.coalesce(SupportItemRow.billed_in, SupportItemRow.period) <= period,
    )
    for item in (await session.execute(items.order_by(SupportItemRow.kind, SupportItemRow.item_id))).scalars():
        support[item.subscription_id].append(item)
    profiles = await profiles_in_force(session, reseller_ids, period)
    return Prefetch(usage=usage, resellers=resellers, support=support, profiles=profiles)


async def resolve_invoice(
    session: AsyncSession,
    settings: BillingSettings,
    view: SubscriptionView,
    period: date,
    *,
    billed_after: date | None,
    rows: Prefetch,
    cache: ReadCache | None = None,
    estimate: bool = False,
) -> ResolvedInvoice:
    """The inputs of the invoice of `period`: usage billed on it (aggregates with billed_in in
    (billed_after, period], from the `prefetch`ed `rows`) and the facts in force for the period. A missing FX
    rate refuses the invoice (`CannotInvoice`); for an `estimate` (a read-only view) it is reported on the
    result instead."""
    row = view.row
    product_id = view.product_for(period)
    usage_rows = [r for r in rows.usage[row.subscription_id] if billed_after is None or r.billed_in > billed_after]
    schedule_products = {product_id} | {view.product_for(p) for p in {r.period for r in usage_rows}}
    cache = cache or ReadCache()
    products = await cache.load_products(session, schedule_products)
    product = products.get(product_id)
    if product is None:
        raise CannotInvoice(f"product {product_id} is not known to billing")
    profile = rows.profiles.get(row.reseller_id)
    currency = profile.invoice_currency if profile else row.billing_currency
    terms = await cache.terms_of(session, period)
    fallback = terms.price_list_currency(profile.price_list_currency if profile else None)
    pl_currency = price_list_currency(currency, _currencies(product), fallback)
    invoice_date = invoice_date_of(period)
    tables = await cache.tables(session)
    fx = _fx(tables, pl_currency, currency, invoice_date, terms.fx_base_currency, estimate=estimate)
    commitment = commitment_on(product.versions, period, pl_currency)
    if commitment is None:
        raise CannotInvoice(f"product {product_id} has no commitment in {pl_currency}")
    usage, adjustments = await _usage(session, view, period, usage_rows, pl_currency, cache)
    reseller = rows.resellers.get(row.reseller_id)
    buyer = _buyer(reseller, profile)
    tax = terms.tax_for(Buyer(buyer.country, buyer.vat_id) if buyer else Buyer("", None))
    support_rows = [r for r in rows.support[row.subscription_id] if _billed_after(r, billed_after)]
    support, unpriced = _support(
        support_rows, currency, tables, invoice_date, period, terms.fx_base_currency, estimate=estimate
    )
    inputs = InvoiceInput(
        price_list_currency=pl_currency,
        currency=currency,
        fx=None if isinstance(fx, MissingRate) else fx,
        commitment=commitment,
        ramp_up=in_ramp_up(view.ramp_up, period),
        usage=usage,
        adjustments=adjustments,
        support=support,
        tax_rate_percent=tax.rate_percent,
        tax_treatment=tax.kind,
        tax_note=tax.note,
    )
    return ResolvedInvoice(
        inputs=inputs,
        product_id=product_id,
        tier=tier_name_on(product.versions, period),
        invoice_date=invoice_date,
        cost_factor=_cost_factor(terms, row.reseller_id, product_id),
        price_list_rate_missing=fx if isinstance(fx, MissingRate) else None,
        unpriced_support=tuple(unpriced),
        buyer=buyer,
        seller=terms.seller,
        payment_terms_days=profile.payment_terms_days if profile else DEFAULT_PAYMENT_TERMS_DAYS,
        locale=profile.locale if profile else DEFAULT_LOCALE,
    )


def _buyer(reseller: ResellerRow | None, profile: BillingProfile | None) -> InvoiceBuyer | None:
    """The reseller as its invoice names it: its profile on the period's 1st, else as registered (no address)."""
    if reseller is None:
        return None
    if profile is None:
        return InvoiceBuyer(
            legal_name=reseller.legal_name,
            country=reseller.country,
            vat_id=reseller.tax_id,
            billing_email=reseller.billing_email,
        )
    return InvoiceBuyer(
        legal_name=profile.legal_name,
        country=reseller.country,
        billing_address=profile.billing_address,
        vat_id=profile.vat_id,
        billing_email=profile.billing_email,
    )


def _currencies(product: ProductInfo) -> list[str]:
    return sorted({currency for version in product.versions for currency, _ in version.commitments})


def _fx(
    tables: list[RateTable], source: str, target: str, on: date, base: str, *, estimate: bool
) -> FxQuote | MissingRate | None:
    """The rate from `source` to `target` (None: same currency): direct, inverse or through `base`; a missing one
    refuses an invoice, and is returned for an estimate, which marks the lines it affects."""
    if source == target:
        return None
    try:
        return quote(tables, source, target, on, base)
    except NoFxRate as exc:
        if estimate:
            return exc.missing
        raise CannotInvoice(str(exc)) from exc


async def _usage(
    session: AsyncSession,
    view: SubscriptionView,
    period: date,
    usage_rows: list[UsageAggregate],
    pl_currency: str,
    cache: ReadCache,
) -> tuple[list[RatedUsage], list[RatedUsage]]:
    grouped: dict[tuple[date, str], dict[str, CustomerUsage]] = {}
    for row in usage_rows:
        customers = grouped.setdefault((row.period, row.sku), {})
        earlier = customers.get(row.customer_id)
        customers[row.customer_id] = _first_usage(row) if earlier is None else merge_aggregate_row(earlier, row)
    ratings = {
        usage_period: await cache.rating(
            session, view.row.reseller_id, view.product_for(usage_period), pl_currency, usage_period
        )
        for usage_period in {usage_period for usage_period, _ in grouped}
    }
    usage: list[RatedUsage] = []
    adjustments: list[RatedUsage] = []
    for (usage_period, sku), customers in sorted(grouped.items()):
        item = _rate(ratings[usage_period], sku, customers.values(), pl_currency, period)
        (usage if usage_period == period else adjustments).append(item)
    return usage, adjustments


class AggregateFigures(Protocol):
    """What an aggregate row tells of one customer's usage of a SKU on a day (a `UsageAggregate`, or the ORM row)."""

    @property
    def day(self) -> date: ...
    @property
    def total(self) -> Decimal: ...
    @property
    def peak(self) -> Decimal: ...
    @property
    def last_value(self) -> Decimal: ...
    @property
    def last_at(self) -> datetime: ...
    @property
    def readings(self) -> int: ...


def merge_aggregate_row(usage: CustomerUsage, row: AggregateFigures) -> CustomerUsage:
    latest = LatestValue(row.last_at, row.last_value)
    daily = dict(usage.daily)
    daily[row.day] = daily[row.day].later_of(latest) if row.day in daily else latest
    return CustomerUsage(
        total=usage.total + row.total,
        peak=row.peak if usage.peak is None else max(usage.peak, row.peak),
        last=latest if usage.last is None else usage.last.later_of(latest),
        daily=daily,
        readings=usage.readings + row.readings,
    )


def _first_usage(row: AggregateFigures) -> CustomerUsage:
    """`merge_aggregate_row(CustomerUsage(), row)`, without building the empty one first (a close does it for
    nearly every row)."""
    latest = LatestValue(row.last_at, row.last_value)
    return CustomerUsage(
        total=_ZERO + row.total, peak=row.peak, last=latest, daily={row.day: latest}, readings=row.readings
    )


def _rate(
    rating: PeriodRating, sku: str, customers: Iterable[CustomerUsage], pl_currency: str, invoiced_period: date
) -> RatedUsage:
    product_id, usage_period = rating.product_id, rating.period
    if sku not in rating.skus:
        raise CannotInvoice(f"SKU {sku} is not billed under product {product_id}")
    name, rule = rating.skus[sku]
    price = rating.unit_price(sku)
    if price is None:
        raise CannotInvoice(f"no {pl_currency} price for {sku} under product {product_id} on {usage_period}")
    quantity = sku_quantity(rule, customers, rating.days)
    late = usage_period != invoiced_period
    description = f"{name}, {usage_period:%b %Y}" if late else name
    return RatedUsage(
        sku=sku,
        description=description,
        quantity=quantity,
        unit_price=price,
        original_period=usage_period if late else None,
        unit=rating.units.get(sku),
    )


def _billed_after(row: SupportItemRow, billed_after: date | None) -> bool:
    """An item not yet carried by an invoice: billed in a period after the last one closed."""
    return billed_after is None or (row.billed_in or row.period) > billed_after


def _support(
    rows: list[SupportItemRow],
    currency: str,
    tables: list[RateTable],
    on: date,
    period: date,
    base: str,
    *,
    estimate: bool,
) -> tuple[list[SupportItem], list[UnpricedSupport]]:
    """The support items converted to the invoice currency (the same rule as the lines: direct, inverse or
    through `base`), and (estimate only) those whose rate is missing."""
    items, unpriced = [], []
    for row in rows:
        fx = _fx(tables, row.currency, currency, on, base, estimate=estimate)
        if isinstance(fx, MissingRate):
            unpriced.append(UnpricedSupport(_support_item(row, row.amount, period), fx))
            continue
        amount = fx.convert(row.amount, currency) if fx else round_money(row.amount, currency)
        items.append(_support_item(row, amount, period))
    return items, unpriced


def _support_item(row: SupportItemRow, amount: Decimal, period: date) -> SupportItem:
    kind: Aggregation | str = row.kind
    return SupportItem(
        kind="support_credit" if kind == "support_credit" else "support_charge",
        description=row.description if row.period == period else f"{row.description} ({row.period:%Y-%m})",
        amount=amount,
        ticket_id=row.ticket_id,
        support_charge_id=row.item_id,
    )


def _cost_factor(terms: BillingTerms, reseller_id: str, product_id: str) -> Decimal:
    """The distributor's cost factor of one invoice: its discount, and the Tier 1 program if active all month."""
    program = terms.tier_one_percent(reseller_id)
    return cost_factor(terms.discount_percent(reseller_id, product_id), program is not None, program or Decimal(0))
