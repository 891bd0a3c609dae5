"""Consumption views: a reseller's month so far (per SKU, per customer, against its commitment), the estimated
invoice (the same pure invoice function on the usage so far), the shortfall projection, and the distributor's
revenue, cost and margin per month. An earlier month not yet invoiced can be viewed the same way: its estimate
is the invoice its close will issue (usage, fee, support lines), which is what a close waits for. A month already
invoiced shows its invoice (the lines as issued, which invoice) and the usage per customer it carried.

The views degrade where the close refuses: a missing FX rate leaves the lines it affects unpriced (each names
the rate; no amount), the totals add up the priced lines and say they are incomplete, and the rest answers."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from billing.adapters.billing_settings import terms_for
from billing.adapters.customers import names_of
from billing.adapters.invoice_documents import line_document
from billing.adapters.invoice_inputs import (
    CannotInvoice,
    ResolvedInvoice,
    merge_aggregate_row,
    prefetch,
    resolve_invoice,
)
from billing.adapters.read_model import Subscription, load_products, load_rate_tables, load_subscriptions
from billing.adapters.usage_store import UsageStore
from billing.domain.aggregation import CustomerUsage, customer_quantity, sku_quantity
from billing.domain.distributor_margin import ReportingTotal, in_reporting_currency
from billing.domain.fx import MissingRate
from billing.domain.invoice_estimate import Estimate, EstimateLine, estimate_invoice
from billing.domain.invoice_math import invoice_date_of
from billing.domain.shortfall import UsageSoFar, project_month_end
from billing.domain.subscription_timeline import is_billable_period
from billing.errors import InvalidPeriod
from billing.models import InvoiceRow, SubscriptionRow, UsageAggregateRow
from billing.runtime import BillingRuntime
from billing.settings import BillingSettings
from bss.calendar_months import days_in_period, period_of
from bss.events.contracts.value_types import Aggregation, decimal_text
from bss.money import round_money


@dataclass
class SubscriptionConsumption:
    subscription_id: str
    tier: str
    currency: str
    commitment: str | None  # None: its FX rate is missing
    usage_total: str
    estimated_invoice: dict[str, Any] | None
    projection: dict[str, Any] | None
    skus: list[dict[str, Any]] = field(default_factory=list)
    problem: str | None = None
    missing_fx_rates: list[dict[str, str]] = field(default_factory=list)
    totals_complete: bool = True
    invoice: dict[str, Any] | None = None
    """For a month already invoiced: the invoice that billed it (id, number, status); the view shows its lines."""


async def reseller_consumption(
    runtime: BillingRuntime, store: UsageStore, reseller_id: str, *, period: date | None = None
) -> list[SubscriptionConsumption]:
    """A month (default: the current one) of each of the reseller's paid subscriptions (what the storefront
    shows); an earlier month lists the subscriptions billable in it, and names those already invoiced for it.
    `InvalidPeriod` for a `period` that is not a 1st or has not started; `store` reads the usage aggregates."""
    now = runtime.clock.now()
    if period is not None and (period.day != 1 or period > period_of(now)):
        raise InvalidPeriod("period", "the 1st of the current month or of an earlier one")
    async with runtime.sessions() as session:
        return await _reseller_consumption(session, runtime.settings, store, reseller_id, now=now, period=period)


async def _reseller_consumption(
    session: AsyncSession,
    settings: BillingSettings,
    store: UsageStore,
    reseller_id: str,
    *,
    now: datetime,
    period: date | None,
) -> list[SubscriptionConsumption]:
    current = period_of(now)
    period = period or current
    ids = (
        await session.execute(
            select(SubscriptionRow.subscription_id).where(
                SubscriptionRow.reseller_id == reseller_id, SubscriptionRow.paid_from.is_not(None)
            )
        )
    ).scalars()
    views = await load_subscriptions(session, ids)
    result = []
    for subscription_id in sorted(views):
        view = views[subscription_id]
        if period != current and not is_billable_period(view.window, period):
            continue
        closed = view.row.closed_through
        if closed is not None and closed >= period:
            result.append(await _invoiced(session, view.row, period))
            continue
        rows = await prefetch(session, store, [subscription_id], {view.row.reseller_id}, period, billed_after=closed)
        try:
            resolved = await resolve_invoice(
                session, settings, view, period, billed_after=closed, rows=rows, estimate=True
            )
        except CannotInvoice as exc:
            result.append(_with_problem(view.row, str(exc)))
            continue
        result.append(await _consumption(session, view.row, resolved, period, now if period == current else None))
    return result


async def _invoiced(session: AsyncSession, row: Subscription, period: date) -> SubscriptionConsumption:
    """A month already closed, as invoiced: the invoice's figures and lines, and the usage per SKU and customer it
    carried. A month another system invoiced (an imported subscription) has no invoice here and says so."""
    invoice = (
        await session.execute(
            select(InvoiceRow).where(InvoiceRow.subscription_id == row.subscription_id, InvoiceRow.period == period)
        )
    ).scalar_one_or_none()
    if invoice is None:
        elsewhere = row.billed_elsewhere_through
        if elsewhere is not None and period <= elsewhere:
            problem = f"{period:%Y-%m} was invoiced by another system (imported as invoiced through {elsewhere:%Y-%m})"
        else:
            problem = f"{period:%Y-%m} is closed without an invoice for this subscription"
        return _with_problem(row, problem)
    document = invoice.document
    return SubscriptionConsumption(
        subscription_id=row.subscription_id,
        tier=document["tier"],
        currency=document["currency"],
        commitment=document["commitment"],
        usage_total=document["usage_total"],
        estimated_invoice={
            "lines": [{**line, "missing_fx_rate": None, "unconverted_amount": None} for line in document["lines"]],
            "subtotal": document["subtotal"],
            "tax": document["tax"],
            "total": document["total"],
            "totals_complete": True,
        },
        projection=None,
        skus=await _per_customer(
            session, row.reseller_id, row.subscription_id, await _skus(session, document["product_id"], period), period
        ),
        invoice={"invoice_id": invoice.invoice_id, "invoice_number": invoice.number, "status": invoice.status},
    )


async def _skus(session: AsyncSession, product_id: str, period: date) -> dict[str, tuple[str, Aggregation]]:
    products = await load_products(session, [product_id])
    return products[product_id].skus_on(period) if product_id in products else {}


def _with_problem(row: Subscription, problem: str) -> SubscriptionConsumption:
    return SubscriptionConsumption(row.subscription_id, "", row.billing_currency, "", "", None, None, problem=problem)


async def _consumption(
    session: AsyncSession, row: Subscription, resolved: ResolvedInvoice, period: date, now: datetime | None
) -> SubscriptionConsumption:
    """The estimate of one subscription's month; the month-end projection only while the month runs (`now`)."""
    estimate = estimate_invoice(
        resolved.inputs,
        price_list_rate_missing=resolved.price_list_rate_missing,
        unpriced_support=resolved.unpriced_support,
    )
    skus = await _skus(session, resolved.product_id, period)
    return SubscriptionConsumption(
        subscription_id=row.subscription_id,
        tier=resolved.tier,
        currency=estimate.currency,
        commitment=None if estimate.commitment is None else decimal_text(estimate.commitment),
        usage_total=decimal_text(estimate.usage_total),
        estimated_invoice={
            "lines": [_estimate_line(entry) for entry in estimate.lines],
            "subtotal": decimal_text(estimate.subtotal),
            "tax": decimal_text(estimate.tax),
            "total": decimal_text(estimate.total),
            "totals_complete": estimate.complete,
        },
        projection=None if now is None else _projection(estimate, skus, now),
        skus=await _per_customer(session, row.reseller_id, row.subscription_id, skus, period),
        missing_fx_rates=[_missing_rate(rate) for rate in estimate.missing_rates],
        totals_complete=estimate.complete,
    )


def _projection(estimate: Estimate, skus: dict[str, tuple[str, Aggregation]], now: datetime) -> dict[str, Any]:
    """The month-end projection of the priced usage lines, each by its SKU's aggregation, and of the commitment fee
    (incomplete when their rate is missing; support lines and late usage play no part in it)."""
    usage = [
        UsageSoFar(
            sku=entry.line.sku,
            aggregation=skus[entry.line.sku][1] if entry.line.sku in skus else "sum",
            quantity=entry.line.quantity or Decimal(0),
            amount=entry.line.amount,
        )
        for entry in estimate.lines
        if entry.line.kind == "usage" and entry.missing is None and entry.line.sku is not None
    ]
    projected = project_month_end(usage, estimate.commitment, estimate.ramp_up_applied, now, estimate.currency)
    fee = projected.projected_fee
    return {
        "projected_usage_total": decimal_text(projected.projected_usage_total),
        "projected_commitment_fee": None if fee is None else decimal_text(fee),
        "elapsed_days": decimal_text(projected.elapsed_days.quantize(Decimal("0.01"))),
        "totals_complete": estimate.price_list_rate_missing is None,
        "skus": [
            {
                "sku": sku.sku,
                "aggregation": sku.aggregation,
                "quantity": decimal_text(sku.quantity),
                "projected_quantity": decimal_text(sku.projected_quantity),
                "amount": decimal_text(sku.amount),
                "projected_amount": decimal_text(sku.projected_amount),
            }
            for sku in projected.skus
        ],
    }


def _estimate_line(entry: EstimateLine) -> dict[str, Any]:
    """The line as an invoice prints it; an unpriced one has no amount, names the missing rate and keeps its
    amount in the currency it could not be converted from."""
    document = line_document(entry.line)
    if entry.missing is None:
        return {**document, "missing_fx_rate": None, "unconverted_amount": None}
    return {
        **document,
        "amount": None,
        "missing_fx_rate": _missing_rate(entry.missing),
        "unconverted_amount": document["amount"],
    }


def _missing_rate(rate: MissingRate) -> dict[str, str]:
    return {"from_currency": rate.from_currency, "to_currency": rate.to_currency, "on": rate.on.isoformat()}


async def _per_customer(
    session: AsyncSession,
    reseller_id: str,
    subscription_id: str,
    skus: dict[str, tuple[str, Aggregation]],
    period: date,
) -> list[dict[str, Any]]:
    rows = (
        await session.execute(
            select(UsageAggregateRow).where(
                UsageAggregateRow.subscription_id == subscription_id,
                UsageAggregateRow.period == period,
                UsageAggregateRow.billed_in == period,
            )
        )
    ).scalars()
    grouped: dict[str, dict[str, CustomerUsage]] = {}
    for row in rows:
        customers = grouped.setdefault(row.sku, {})
        customers[row.customer_id] = merge_aggregate_row(customers.get(row.customer_id, CustomerUsage()), row)
    days = days_in_period(period)
    names = await names_of(session, reseller_id, {c for per_sku in grouped.values() for c in per_sku})
    out = []
    for sku, customers in sorted(grouped.items()):
        name, rule = skus.get(sku, (sku, "sum"))
        line = sku_consumption(sku, name, rule, customers, days)
        for customer in line["customers"]:
            customer["name"] = names.get(customer["customer_id"])
        out.append(line)
    return out


def sku_consumption(
    sku: str, name: str, rule: Aggregation, customers: dict[str, CustomerUsage], days: int
) -> dict[str, Any]:
    """A SKU's line of the consumption view: each customer's quantity and the SKU's, by the same aggregation
    functions the invoice uses (`sku_quantity`: for `average` the customers' daily sums are added before the one
    division, so the view shows the invoice's digits, not a sum of rounded per-customer averages)."""
    per_customer = {c: customer_quantity(rule, usage, days) for c, usage in sorted(customers.items())}
    return {
        "sku": sku,
        "name": name,
        "aggregation": rule,
        "quantity": decimal_text(sku_quantity(rule, customers.values(), days)),
        "customers": [{"customer_id": c, "quantity": decimal_text(q)} for c, q in per_customer.items()],
    }


async def distributor_margins(runtime: BillingRuntime, period: date) -> dict[str, Any]:
    """Revenue (what resellers pay before tax), cost and margin of the period's issued invoices, per reseller,
    per tier and in total, per currency (amounts in different currencies are never added); each reseller's cost
    basis (its discount and the Tier 1 program's, as the close applied them); and the total in one reporting
    currency (the FX base currency), converted at the rates of the invoice date, each rate named."""
    query = select(InvoiceRow).where(InvoiceRow.period == period, InvoiceRow.status.in_(("issued", "paid")))
    async with runtime.sessions() as session:
        rows = list((await session.execute(query)).scalars())
        terms = await terms_for(session, period)
        tables = await load_rate_tables(session)
    per_reseller: dict[tuple[str, str], list[Decimal]] = {}
    per_tier: dict[tuple[str, str], list[Decimal]] = {}
    totals: dict[str, list[Decimal]] = {}
    bases: dict[tuple[str, str], set[tuple[Decimal, Decimal | None]]] = {}
    for row in rows:
        tier = str(row.document.get("tier", ""))
        for bucket in (
            per_reseller.setdefault((row.reseller_id, row.currency), [Decimal(0), Decimal(0)]),
            per_tier.setdefault((tier, row.currency), [Decimal(0), Decimal(0)]),
            totals.setdefault(row.currency, [Decimal(0), Decimal(0)]),
        ):
            bucket[0] += row.revenue
            bucket[1] += row.cost
        product_id = str(row.document.get("product_id", ""))
        basis = (terms.discount_percent(row.reseller_id, product_id), terms.tier_one_percent(row.reseller_id))
        bases.setdefault((row.reseller_id, row.currency), set()).add(basis)

    def figures(values: list[Decimal], currency: str) -> dict[str, str]:
        revenue, cost = (round_money(v, currency) for v in values)
        return {"revenue": decimal_text(revenue), "cost": decimal_text(cost), "margin": decimal_text(revenue - cost)}

    return {
        "period": period.isoformat(),
        "per_reseller": [
            {"reseller_id": r, "currency": c, **figures(v, c), "cost_basis": _cost_basis(bases[(r, c)])}
            for (r, c), v in sorted(per_reseller.items())
        ],
        "per_tier": [{"tier": t, "currency": c, **figures(v, c)} for (t, c), v in sorted(per_tier.items())],
        "total": [{"currency": c, **figures(v, c)} for c, v in sorted(totals.items())],
        "reporting": _reporting(
            in_reporting_currency(
                {c: (v[0], v[1]) for c, v in totals.items()}, tables, terms.fx_base_currency, invoice_date_of(period)
            )
        ),
    }


def _cost_basis(bases: set[tuple[Decimal, Decimal | None]]) -> str:
    """How the distributor's cost was computed, for people: `discount 30 %, Tier 1 program 10 %`."""
    texts = []
    for discount, tier_one in sorted(bases, key=lambda basis: (basis[0], basis[1] or Decimal(0))):
        text = f"discount {decimal_text(discount)} %"
        if tier_one:
            text += f", Tier 1 program {decimal_text(tier_one)} %"
        texts.append(text)
    return "; ".join(texts)


def _reporting(total: ReportingTotal) -> dict[str, Any]:
    return {
        "currency": total.currency,
        "rates_on": total.rates_on.isoformat(),
        "revenue": decimal_text(total.revenue),
        "cost": decimal_text(total.cost),
        "margin": decimal_text(total.margin),
        "rates": [
            {
                "from_currency": source,
                "to_currency": total.currency,
                "rate": decimal_text(rate.rate),
                "effective_from": rate.effective_from.isoformat(),
                "rate_table_id": rate.rate_table_id,
            }
            for source, rate in total.rates.items()
        ],
        "missing_fx_rates": [_missing_rate(rate) for rate in total.missing],
        "complete": total.complete,
    }
