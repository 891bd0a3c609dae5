"""The distributor's revenue, cost and margin of an invoice (docs/domain.md, Billing conventions; seed 000)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

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
