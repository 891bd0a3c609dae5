"""The month-end projection: where each SKU's usage, and so the commitment comparison, will stand at the month's end
(docs/domain.md, "Month-end projection").

One rule per aggregation, applied to each usage line of the estimate so far:
- `sum`: the quantity keeps growing at its rate so far: x days of the month / days elapsed;
- `max` and `last`: the peak or the latest reading is the month's value already: it stays;
- `average`: the month's average is the running average so far (the invoice divides the daily values by every
  day of the month, so the quantity so far is x days of the month / days begun).
A line's projected amount is its amount so far scaled by the same factor (the same unit price and, when billed
through FX, the same rate), rounded to the invoice currency. The projected fee is the commitment fee rule on the
projected usage total. No factor is below 1, so a projection is never below the usage so far.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from billing.domain.invoice_math import commitment_fee
from bss.calendar_months import days_in_period, period_end_instant, period_of, period_start_instant
from bss.events.contracts.value_types import Aggregation
from bss.money import round_money

_SECONDS_PER_DAY = Decimal(86400)
_QUANTITY_PLACES = Decimal("0.0001")


@dataclass(frozen=True, slots=True)
class UsageSoFar:
    """One usage line of the estimate: its SKU's aggregation, quantity so far and amount in the invoice currency."""

    sku: str
    aggregation: Aggregation
    quantity: Decimal
    amount: Decimal


@dataclass(frozen=True, slots=True)
class SkuProjection:
    sku: str
    aggregation: Aggregation
    quantity: Decimal
    projected_quantity: Decimal
    amount: Decimal
    projected_amount: Decimal


@dataclass(frozen=True, slots=True)
class Projection:
    elapsed_days: Decimal
    projected_usage_total: Decimal
    projected_fee: Decimal | None  # None: the commitment is not known in the invoice currency (no FX rate)
    skus: tuple[SkuProjection, ...] = ()


@dataclass(frozen=True, slots=True)
class MonthSoFar:
    """How far into its month `now` is: days elapsed (fractional), days begun, and the month's days."""

    elapsed_days: Decimal
    days_begun: int
    days_in_month: int

    @classmethod
    def at(cls, now: datetime) -> MonthSoFar:
        period = period_of(now)
        elapsed = min(now, period_end_instant(period)) - period_start_instant(period)
        elapsed_days = Decimal(int(elapsed.total_seconds())) / _SECONDS_PER_DAY
        return cls(elapsed_days, max(1, math.ceil(elapsed_days)), days_in_period(period))


def month_end_factor(aggregation: Aggregation, month: MonthSoFar) -> Decimal:
    """What a SKU's quantity so far is multiplied by at the month's end, by its aggregation (>= 1)."""
    if aggregation == "sum":
        if month.elapsed_days <= 0:
            return Decimal(1)
        return max(Decimal(1), Decimal(month.days_in_month) / month.elapsed_days)
    if aggregation == "average":
        return Decimal(month.days_in_month) / Decimal(min(month.days_begun, month.days_in_month))
    return Decimal(1)  # max, last: the month's value is already reached


def project_month_end(
    usage: Sequence[UsageSoFar], commitment: Decimal | None, ramp_up: bool, now: datetime, currency: str
) -> Projection:
    """Each usage line projected by its aggregation's rule; their total, and the commitment fee on it (unknown
    while the commitment is)."""
    month = MonthSoFar.at(now)
    skus = []
    for line in usage:
        factor = month_end_factor(line.aggregation, month)
        skus.append(
            SkuProjection(
                sku=line.sku,
                aggregation=line.aggregation,
                quantity=line.quantity,
                projected_quantity=(line.quantity * factor).quantize(_QUANTITY_PLACES),
                amount=line.amount,
                projected_amount=round_money(line.amount * factor, currency),
            )
        )
    projected = sum((sku.projected_amount for sku in skus), Decimal(0))
    return Projection(
        elapsed_days=month.elapsed_days,
        projected_usage_total=projected,
        projected_fee=None if commitment is None else commitment_fee(projected, commitment, ramp_up),
        skus=tuple(skus),
    )
