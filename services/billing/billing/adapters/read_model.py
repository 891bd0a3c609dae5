"""Billing's read models: the queries over them, returning domain values (product versions, tier schedules,
prices, FX), and the writes that apply the other services' events to them (`consumers.py` maps each event type
to its write here).

Every write is an upsert keyed by the event's own facts (or an update of the row the event names), so an event
applied twice changes nothing, and events of different aggregates apply in any order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import delete, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.billing_settings import STORE, TIER_ONE_PROGRAM, TierOneProgramValue
from billing.domain.billing_terms import DEFAULT_SCOPE
from billing.domain.catalog_view import DatedAdjustment, DatedPrice, ProductVersion, version_on
from billing.domain.fx import RateTable
from billing.domain.subscription_timeline import PaidWindow, TierStep, product_in_force, waived_periods
from billing.domain.usage_rules import SubscriptionFacts, billed_in
from billing.models import (
    BillingProfileRow,
    FxPairRow,
    FxRateRow,
    PriceAdjustmentRow,
    PriceRow,
    ProductVersionRow,
    ResellerRow,
    SubscriptionRow,
    SupportItemRow,
    TierChangeRow,
)
from bss.calendar_months import period_of
from bss.db import among, insert_for, packed, unpacked
from bss.events.contracts.catalog import (
    FxRatesPublishedV1,
    PriceBookPublishedV1,
    ProductChangedV1,
    ProductDeactivatedV1,
    ProductPublishedV1,
)
from bss.events.contracts.subscriptions import (
    BillingProfile,
    RampUpGrantedV1,
    ResellerBillingProfileChangedV1,
    ResellerRegisteredV1,
    SubscriptionCancelledV1,
    SubscriptionCreatedV1,
    SubscriptionResumedV1,
    SubscriptionSuspendedV1,
    SubscriptionTierChangedV1,
    TrialConvertedV1,
    TrialExpiredV1,
)
from bss.events.contracts.support import IncidentChargedV1, IncidentCreditedV1, TierOneProgramActivatedV1
from bss.events.contracts.value_types import Aggregation
from bss.ramp_up import RampUpWindow


@dataclass(frozen=True, slots=True)
class ProductInfo:
    versions: tuple[ProductVersion, ...]
    skus_by_version: dict[date, dict[str, tuple[str, Aggregation]]]  # sku -> (name, aggregation)
    units_by_version: dict[date, dict[str, str]] = field(default_factory=dict)  # sku -> unit ("GB", "workload")

    def skus_on(self, day: date) -> dict[str, tuple[str, Aggregation]]:
        return self.skus_by_version[self._version_on(day)]

    def sku_units_on(self, day: date) -> tuple[dict[str, tuple[str, Aggregation]], dict[str, str]]:
        """The SKUs (name, aggregation) and their units of the version in force on `day`, found once."""
        version = self._version_on(day)
        return self.skus_by_version[version], self.units_by_version.get(version, {})

    def _version_on(self, day: date) -> date:
        version = version_on(self.versions, day) or min(self.versions, key=lambda v: v.effective_from)
        return version.effective_from


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
    billed_elsewhere_through: date | None


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


# PostgreSQL: the versions in plain SQL (every usage batch reads its products: the ORM query cost about 0.5 ms of
# client CPU for one product; the driver decodes the JSON columns either way).
_PRODUCT_VERSIONS = text(
    "SELECT product_id, effective_from, name, tier, commitments, previous_tier, previous_name, usage_skus "
    f"FROM product_versions WHERE product_id = ANY({unpacked('ids')})"
)


class _ProductVersion(NamedTuple):
    """The columns of `ProductVersionRow` that `_product_info` reads."""

    product_id: str
    effective_from: date
    name: str
    tier: str
    commitments: dict[str, str]
    previous_tier: str | None
    previous_name: str | None
    usage_skus: list[dict[str, Any]]


async def load_products(session: AsyncSession, product_ids: Iterable[str]) -> dict[str, ProductInfo]:
    ids = sorted(set(product_ids))
    if not ids:
        return {}
    rows: Iterable[ProductVersionRow | _ProductVersion]
    if session.get_bind().dialect.name == "postgresql" and not any("," in value for value in ids):
        rows = [_ProductVersion._make(row) for row in await session.execute(_PRODUCT_VERSIONS, {"ids": packed(ids)})]
    else:
        rows = (await session.execute(select(ProductVersionRow).where(ProductVersionRow.product_id.in_(ids)))).scalars()
    grouped: dict[str, list[Any]] = {}
    for row in rows:
        grouped.setdefault(row.product_id, []).append(row)
    return {product_id: _product_info(versions) for product_id, versions in grouped.items()}


def _product_info(rows: list[ProductVersionRow] | list[_ProductVersion]) -> ProductInfo:
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
    units = {row.effective_from: {s["sku"]: s["unit"] for s in row.usage_skus if s.get("unit")} for row in rows}
    return ProductInfo(versions=versions, skus_by_version=skus, units_by_version=units)


# PostgreSQL reads subscriptions in plain SQL, the ids `packed` into one parameter: the usage intake reads a
# thousand per batch and each usage consumer's batch a few hundred, where SQLAlchemy's result processing, an
# array parameter of the ids and the ORM rows of the tier changes cost about 10 us of client CPU per subscription
# (3 in plain SQL; asyncpg already returns UTC-aware instants and dates).
_SUBSCRIPTIONS_SQL = (
    f"SELECT {', '.join(Subscription.__dataclass_fields__)} FROM subscriptions "
    f"WHERE subscription_id = ANY({unpacked('ids')}) ORDER BY subscription_id"
)
_SUBSCRIPTIONS = text(_SUBSCRIPTIONS_SQL)
_SUBSCRIPTIONS_LOCKED = text(_SUBSCRIPTIONS_SQL + " FOR UPDATE")
_TIER_CHANGES = text(
    "SELECT subscription_id, effective_from, to_product_id FROM tier_changes "
    f"WHERE subscription_id = ANY({unpacked('ids')})"
)


async def load_subscriptions(
    session: AsyncSession, subscription_ids: Iterable[str], *, lock: bool = False
) -> dict[str, SubscriptionView]:
    ids = sorted(set(subscription_ids))  # sorted: concurrent lockers take rows in one order, no deadlock
    if not ids:
        return {}
    if session.get_bind().dialect.name == "postgresql" and not any("," in value for value in ids):
        parameters = {"ids": packed(ids)}
        rows = [
            Subscription(*row)
            for row in await session.execute(_SUBSCRIPTIONS_LOCKED if lock else _SUBSCRIPTIONS, parameters)
        ]
        steps: dict[str, list[TierStep]] = {}
        for subscription_id, effective_from, product_id in await session.execute(_TIER_CHANGES, parameters):
            steps.setdefault(subscription_id, []).append(TierStep(effective_from, product_id))
        return {row.subscription_id: SubscriptionView(row, tuple(steps.get(row.subscription_id, ()))) for row in rows}
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
    view: SubscriptionView | None,
    products: dict[str, ProductInfo],
    period: date,
    rules: dict[tuple[str, date], dict[str, Aggregation]] | None = None,
) -> SubscriptionFacts | None:
    """The facts the usage rules check an event of `period` against (None: unknown subscription). `rules` keeps
    each product's SKU rules of a period once for many subscriptions (a usage batch names a thousand)."""
    if view is None:
        return None
    product_id = view.product_for(period)
    skus = None if rules is None else rules.get((product_id, period))
    if skus is None:
        product = products.get(product_id)
        skus = {sku: rule for sku, (_name, rule) in product.skus_on(period).items()} if product else {}
        if rules is not None:
            rules[(product_id, period)] = skus
    return SubscriptionFacts(
        reseller_id=view.row.reseller_id,
        status=view.row.status,
        started_at=view.row.started_at,
        window=view.window,
        skus=skus,
        billed_elsewhere_through=view.row.billed_elsewhere_through,
    )


async def load_rate_tables(session: AsyncSession) -> list[RateTable]:
    """Every rate table: its units per USD (the pairs with base USD) and its other pairs."""
    tables: dict[tuple[str, date], dict[str, Decimal]] = {}
    pairs: dict[tuple[str, date], dict[tuple[str, str], Decimal]] = {}
    for row in (await session.execute(select(FxRateRow))).scalars():
        tables.setdefault((row.rate_table_id, row.effective_from), {})[row.currency] = row.units_per_usd
    for pair in (await session.execute(select(FxPairRow))).scalars():
        pairs.setdefault((pair.rate_table_id, pair.effective_from), {})[(pair.base, pair.quote)] = pair.rate
    return [
        RateTable(table_id, effective, tables.get((table_id, effective), {}), pairs.get((table_id, effective), {}))
        for table_id, effective in tables.keys() | pairs.keys()
    ]


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


# --- writing: the other services' events applied to the read models --------------------------------------------


async def _upsert(session: AsyncSession, model: Any, values: dict[str, Any], keys: Sequence[str]) -> None:
    insert = insert_for(session)(model).values(**values)
    changes = {name: insert.excluded[name] for name in values if name not in keys}
    await session.execute(insert.on_conflict_do_update(index_elements=list(keys), set_=changes))


# catalog


async def save_product_version(session: AsyncSession, product: ProductPublishedV1 | ProductChangedV1) -> None:
    """A product version as published or changed (a change re-activates it)."""
    values = {
        "product_id": product.product_id,
        "effective_from": product.effective_from,
        "name": product.name,
        "tier": product.tier,
        "previous_name": getattr(product, "previous_name", None),
        "previous_tier": getattr(product, "previous_tier", None),
        "commitments": {c.currency: format(c.amount, "f") for c in product.commitments},
        "usage_skus": [sku.model_dump(mode="json") for sku in product.usage_skus],
        "deactivated_from": None,
    }
    await _upsert(session, ProductVersionRow, values, ("product_id", "effective_from"))


async def deactivate_product(session: AsyncSession, data: ProductDeactivatedV1) -> None:
    await session.execute(
        update(ProductVersionRow)
        .where(ProductVersionRow.product_id == data.product_id)
        .values(deactivated_from=data.effective_from)
    )


async def save_price_book(session: AsyncSession, book: PriceBookPublishedV1) -> None:
    """A batch of a price book's entries; a reseller's custom book's first batch also carries its adjustment."""
    for entry in book.entries:
        values = {
            "price_book_id": book.price_book_id,
            "product_id": entry.product_id,
            "sku": entry.sku,
            "currency": entry.currency,
            "effective_from": book.effective_from,
            "reseller_id": book.reseller_id,
            "unit_price": entry.unit_price,
        }
        await _upsert(session, PriceRow, values, ("price_book_id", "product_id", "sku", "currency", "effective_from"))
    if book.kind == "reseller_custom" and book.reseller_id is not None and book.batch_number == 1:
        adjustment = book.adjustment
        values = {
            "price_book_id": book.price_book_id,
            "effective_from": book.effective_from,
            "reseller_id": book.reseller_id,
            "kind": adjustment.kind if adjustment else None,
            "percent": adjustment.percent if adjustment else 0,
        }
        await _upsert(session, PriceAdjustmentRow, values, ("price_book_id", "effective_from"))


async def save_fx_rates(session: AsyncSession, table: FxRatesPublishedV1) -> None:
    for rate in table.rates:
        values = {
            "rate_table_id": table.rate_table_id,
            "effective_from": table.effective_from,
            "currency": rate.currency,
            "units_per_usd": rate.units_per_usd,
        }
        await _upsert(session, FxRateRow, values, ("rate_table_id", "effective_from", "currency"))
    for pair in table.pairs:
        pair_values = {
            "rate_table_id": table.rate_table_id,
            "effective_from": table.effective_from,
            "base": pair.base,
            "quote": pair.quote,
            "rate": pair.rate,
        }
        await _upsert(session, FxPairRow, pair_values, ("rate_table_id", "effective_from", "base", "quote"))


# subscriptions


async def save_reseller(session: AsyncSession, reseller: ResellerRegisteredV1) -> None:
    values = {
        "reseller_id": reseller.reseller_id,
        "legal_name": reseller.legal_name,
        "country": reseller.country,
        "billing_currency": reseller.billing_currency,
        "billing_email": reseller.billing_email,
        "tax_id": reseller.tax_id,
    }
    await _upsert(session, ResellerRow, values, ("reseller_id",))


async def save_billing_profile(session: AsyncSession, changed: ResellerBillingProfileChangedV1) -> None:
    """A profile from its first day; of two for one day, the later recorded wins (whatever the delivery order)."""
    values = {
        "reseller_id": changed.reseller_id,
        "effective_from": changed.effective_from,
        "profile": changed.profile.model_dump(mode="json"),
        "recorded_at": changed.recorded_at,
    }
    insert = insert_for(session)(BillingProfileRow).values(**values)
    await session.execute(
        insert.on_conflict_do_update(
            index_elements=["reseller_id", "effective_from"],
            set_={"profile": insert.excluded.profile, "recorded_at": insert.excluded.recorded_at},
            where=insert.excluded.recorded_at >= BillingProfileRow.recorded_at,
        )
    )


async def profiles_in_force(session: AsyncSession, reseller_ids: Iterable[str], on: date) -> dict[str, BillingProfile]:
    """Each reseller's profile in force on `on` (resellers without one are left out)."""
    rows = await session.execute(
        select(BillingProfileRow.reseller_id, BillingProfileRow.profile)
        .where(
            among(session, BillingProfileRow.reseller_id, list(reseller_ids)), BillingProfileRow.effective_from <= on
        )
        .order_by(BillingProfileRow.reseller_id, BillingProfileRow.effective_from)
    )
    latest: dict[str, dict[str, Any]] = {}
    for reseller_id, profile in rows:  # in effective order: each reseller's last one stays
        latest[reseller_id] = profile
    return {reseller_id: BillingProfile.model_validate(profile) for reseller_id, profile in latest.items()}


async def save_subscription(session: AsyncSession, created: SubscriptionCreatedV1) -> None:
    values = {
        "subscription_id": created.subscription_id,
        "reseller_id": created.reseller_id,
        "product_id": created.product_id,
        "status": "trial" if created.kind == "trial" else "active",
        "billing_currency": created.billing_currency,
        "started_at": created.started_at,
        "paid_from": created.started_at if created.kind == "paid" else None,
    }
    # An imported subscription starts invoiced through the last month another system invoiced (ADR 0011).
    imported = {
        "billed_elsewhere_through": created.billed_elsewhere_through,
        "closed_through": created.billed_elsewhere_through,
    }
    insert = insert_for(session)(SubscriptionRow).values(**values, **imported, ramp_up_cycles=0)
    # A ramp-up granted before (same key, so only on a replay) keeps its cycles, and a close since then its
    # closed_through: update the facts only.
    changes = {name: insert.excluded[name] for name in values if name != "subscription_id"}
    await session.execute(insert.on_conflict_do_update(index_elements=["subscription_id"], set_=changes))


async def _set(session: AsyncSession, subscription_id: str, **values: Any) -> None:
    await session.execute(
        update(SubscriptionRow).where(SubscriptionRow.subscription_id == subscription_id).values(**values)
    )


async def convert_trial(session: AsyncSession, data: TrialConvertedV1) -> None:
    window: dict[str, Any] = {}
    if data.ramp_up_first_period is not None:  # the ramp-up window, fixed by the conversion
        window = {"ramp_up_first_period": data.ramp_up_first_period, "ramp_up_last_period": data.ramp_up_last_period}
    await _set(
        session,
        data.subscription_id,
        status="active",
        paid_from=data.converted_at,
        product_id=data.product_id,
        **window,
    )


async def expire_trial(session: AsyncSession, data: TrialExpiredV1) -> None:
    await _set(session, data.subscription_id, status="expired", ends_at=data.expired_at)


async def save_tier_change(session: AsyncSession, change: SubscriptionTierChangedV1) -> None:
    """The change replaces any received before it with the same or a later effective date (contract rule)."""
    await session.execute(
        delete(TierChangeRow).where(
            TierChangeRow.subscription_id == change.subscription_id,
            TierChangeRow.effective_from >= change.effective_from,
        )
    )
    session.add(
        TierChangeRow(
            subscription_id=change.subscription_id,
            effective_from=change.effective_from,
            to_product_id=change.to_product_id,
            requested_at=change.requested_at,
        )
    )
    await session.flush()


async def grant_ramp_up(session: AsyncSession, data: RampUpGrantedV1) -> None:
    """Keep the waived periods as subscriptions decided them. A trial's window comes with its conversion; an
    event from before the window was carried leaves it empty, and billing counts `cycles` from the month the
    subscription became paid (`waived_periods`)."""
    window: dict[str, Any] = {}
    if data.last_period is not None:
        window = {"ramp_up_first_period": data.first_period, "ramp_up_last_period": data.last_period}
    await _set(session, data.subscription_id, ramp_up_cycles=data.cycles, **window)


async def suspend_subscription(session: AsyncSession, data: SubscriptionSuspendedV1) -> None:
    await _set(session, data.subscription_id, status="suspended")


async def resume_subscription(session: AsyncSession, data: SubscriptionResumedV1) -> None:
    await _set(session, data.subscription_id, status="active")


async def cancel_subscription(session: AsyncSession, data: SubscriptionCancelledV1) -> None:
    await _set(
        session,
        data.subscription_id,
        status="cancelled",
        ends_at=data.effective_at,
        last_billed_period=data.last_billed_period,
    )


# support


async def add_incident_charge(session: AsyncSession, charge: IncidentChargedV1) -> None:
    values = {
        "item_id": charge.charge_id,
        "subscription_id": charge.subscription_id,
        "kind": "support_charge",
        "description": charge.description,
        "amount": charge.amount,
        "currency": charge.currency,
        "period": period_of(charge.charged_at),
        "ticket_id": charge.ticket_id,
    }
    await _add_support_item(session, values)


async def add_incident_credit(session: AsyncSession, credit: IncidentCreditedV1) -> None:
    if credit.amount is None or credit.currency is None:
        return  # a quota credit returns incidents, not money
    values = {
        "item_id": credit.credit_id,
        "subscription_id": credit.subscription_id,
        "kind": "support_credit",
        "description": credit.reason,
        "amount": credit.amount,
        "currency": credit.currency,
        "period": period_of(credit.credited_at),
        "ticket_id": credit.ticket_id,
    }
    await _add_support_item(session, values)


async def _add_support_item(session: AsyncSession, values: dict[str, Any]) -> None:
    """Record a charge or credit on the invoice of its month, or, if that month is invoiced already, on the
    next open one (Billing conventions: late items are adjustments, never lost). The subscription's row is
    locked on PostgreSQL, as the usage consumer does, so a month close cannot slip in between (SQLAlchemy renders
    no FOR UPDATE on SQLite, whose one writer at a time needs none)."""
    query = select(SubscriptionRow.closed_through).where(SubscriptionRow.subscription_id == values["subscription_id"])
    query = query.with_for_update()
    closed_through = (await session.execute(query)).scalar_one_or_none()
    values = {**values, "billed_in": billed_in(values["period"], closed_through)}
    insert = insert_for(session)(SupportItemRow).values(**values)
    changes = {name: insert.excluded[name] for name in values if name not in ("item_id", "billed_in")}
    await session.execute(insert.on_conflict_do_update(index_elements=["item_id"], set_=changes))


async def save_tier_one_program(session: AsyncSession, program: TierOneProgramActivatedV1) -> None:
    """Support's activation starts the Tier 1 program's discount for every reseller (`*`) from its date; admins
    may set or end it per reseller through the settings (`tier-one-program`)."""
    await STORE.change(
        session,
        TIER_ONE_PROGRAM,
        DEFAULT_SCOPE,
        TierOneProgramValue(discount_percent=program.discount_percent),
        effective_from=program.effective_from,
        recorded_by=f"event:support:{program.program_id}",
        recorded_at=program.activated_at,
        reason="Tier 1 support onboarding finished (TierOneProgramActivated)",
    )
