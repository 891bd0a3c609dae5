"""The distributor's revenue, cost and margin of an invoice (docs/domain.md, Billing conventions; seed 000)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from billing.domain.fx import FxQuote, MissingRate, NoFxRate, RateTable, quote
from billing.domain.invoice_math import Line
from bss.money import round_money

TIER_ONE_PROGRAM_DISCOUNT = Decimal(10)


def tier_one_program_active(effective_from: date | None, period: date) -> bool:
    """The Tier 1 program discount counts for a period only when active for the whole period: the program in
    force on the period's last day was effective on or before its 1st (seed 000; Billing conventions)."""
    return effective_from is not None and effective_from <= period


def cost_factor(distributor_discount_percent: Decimal, tier_one_active: bool, program_percent: Decimal) -> Decimal:
    """(1 - discount%) x (1 - 10%) while the Tier 1 program is active for the whole period, else (1 - discount%)
    (Billing conventions)."""
    factor = 1 - distributor_discount_percent / Decimal(100)
    if tier_one_active:
        factor *= 1 - program_percent / Decimal(100)
    return factor


@dataclass(frozen=True, slots=True)
class Margin:
    revenue: Decimal
    cost: Decimal
    margin: Decimal


def invoice_margin(lines: Iterable[Line], currency: str, factor: Decimal) -> Margin:
    """Revenue = subtotal before tax; cost = each usage and adjustment line x the cost factor, rounded per line
    (the fee and support charges carry no vendor cost); margin = revenue - cost (Billing conventions)."""
    materialized = list(lines)
    revenue = sum((line.amount for line in materialized), Decimal(0))
    cost = sum(
        (round_money(line.amount * factor, currency) for line in materialized if line.kind in ("usage", "adjustment")),
        Decimal(0),
    )
    return Margin(revenue=revenue, cost=cost, margin=revenue - cost)


@dataclass(frozen=True, slots=True)
class ReportingTotal:
    """Revenue and cost of several currencies in one reporting currency, with the rate each was converted at and
    the currencies left out for want of a rate (then the total is incomplete)."""

    currency: str
    rates_on: date
    revenue: Decimal
    cost: Decimal
    rates: dict[str, FxQuote]
    missing: list[MissingRate]

    @property
    def margin(self) -> Decimal:
        return self.revenue - self.cost

    @property
    def complete(self) -> bool:
        return not self.missing


def in_reporting_currency(
    totals: Mapping[str, tuple[Decimal, Decimal]], tables: Sequence[RateTable], currency: str, on: date
) -> ReportingTotal:
    """Each currency's (revenue, cost) in `currency` at the rates in force on `on` (the invoice date of the
    period), added up. The reporting currency's own totals are rounded and added as they are; every other one is
    converted, then rounded, per currency and figure (Billing conventions: convert, then round), with the rate
    found as an invoice finds its own (direct, inverse, or through the reporting currency). A currency without
    a rate is left out and named, never guessed."""
    revenue, cost = Decimal(0), Decimal(0)
    rates: dict[str, FxQuote] = {}
    missing: list[MissingRate] = []
    for source, (source_revenue, source_cost) in sorted(totals.items()):
        if source == currency:
            revenue += round_money(source_revenue, currency)
            cost += round_money(source_cost, currency)
            continue
        try:
            rate = quote(tables, source, currency, on, currency)
        except NoFxRate as exc:
            missing.append(exc.missing)
            continue
        revenue += rate.convert(source_revenue, currency)
        cost += rate.convert(source_cost, currency)
        rates[source] = rate
    return ReportingTotal(currency, on, revenue, cost, rates, missing)
