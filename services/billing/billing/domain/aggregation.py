"""How a SKU's reported values become its monthly quantity (docs/domain.md, Billing conventions).

Aggregation is per SKU per customer, then summed over customers for the invoice line. The per-customer state
is incremental (`CustomerUsage` folds readings in any order), so the consumer can keep it in the database and
the invoice function reads the same numbers a batch recomputation would give.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal

from bss.events.contracts.value_types import Aggregation


@dataclass(frozen=True, slots=True)
class Reading:
    """One accepted usage value of one customer for one SKU, at the instant it was measured."""

    customer_id: str
    quantity: Decimal
    measured_at: datetime


@dataclass(frozen=True, slots=True)
class LatestValue:
    """The value with the latest `measured_at`; ties keep the larger value, so arrival order never matters."""

    measured_at: datetime
    value: Decimal

    def later_of(self, other: LatestValue) -> LatestValue:
        """The latest of two values (Billing conventions: `last` is the latest measured, whatever the arrival)."""
        if other.measured_at != self.measured_at:
            return other if other.measured_at > self.measured_at else self
        return other if other.value > self.value else self


@dataclass(frozen=True, slots=True)
class CustomerUsage:
    """Everything the four rules need about one customer's readings of one SKU in one period."""

    total: Decimal = Decimal(0)
    peak: Decimal | None = None
    last: LatestValue | None = None
    daily: Mapping[date, LatestValue] = field(default_factory=dict)
    readings: int = 0

    def add(self, reading: Reading) -> CustomerUsage:
        """Fold one reading in; the result does not depend on the order readings are added."""
        latest = LatestValue(reading.measured_at, reading.quantity)
        day = reading.measured_at.date()
        daily = dict(self.daily)
        daily[day] = daily[day].later_of(latest) if day in daily else latest
        return replace(
            self,
            total=self.total + reading.quantity,
            peak=reading.quantity if self.peak is None else max(self.peak, reading.quantity),
            last=latest if self.last is None else self.last.later_of(latest),
            daily=daily,
            readings=self.readings + 1,
        )


def customer_quantity(rule: Aggregation, usage: CustomerUsage, days_in_period: int) -> Decimal:
    """The monthly quantity of one customer: `sum` of deltas, `max` value, `last` value, or `average` of the
    days' last values over all days of the period (Billing conventions); never rounded."""
    if usage.readings == 0:
        return Decimal(0)
    if rule == "sum":
        return usage.total
    if rule == "max":
        return usage.peak if usage.peak is not None else Decimal(0)
    if rule == "last":
        return usage.last.value if usage.last is not None else Decimal(0)
    return _daily_sum(usage) / Decimal(days_in_period)


def sku_quantity(rule: Aggregation, customers: Iterable[CustomerUsage], days_in_period: int) -> Decimal:
    """A SKU's invoice quantity: each customer's quantity by the rule, summed over customers (conventions).

    For `average` the customers' daily sums are added first and divided once, so the result is exact whenever
    the division is, and never depends on the order customers are listed in.
    """
    if rule == "average":
        daily_sum = sum((_daily_sum(usage) for usage in customers), Decimal(0))
        return daily_sum / Decimal(days_in_period)
    return sum((customer_quantity(rule, usage, days_in_period) for usage in customers), Decimal(0))


def _daily_sum(usage: CustomerUsage) -> Decimal:
    return sum((value.value for value in usage.daily.values()), Decimal(0))


def fold_readings(readings: Iterable[Reading]) -> dict[str, CustomerUsage]:
    """Per-customer usage of a SKU from its readings, in any order."""
    per_customer: dict[str, CustomerUsage] = {}
    for reading in readings:
        per_customer[reading.customer_id] = per_customer.get(reading.customer_id, CustomerUsage()).add(reading)
    return per_customer
