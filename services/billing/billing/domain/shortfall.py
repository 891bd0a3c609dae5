"""The commitment shortfall projection: at the month's daily usage rate so far, where the month will end."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from billing.domain.invoice_math import commitment_fee
from bss.calendar_months import days_in_period, period_end_instant, period_of, period_start_instant
from bss.money import round_money

_SECONDS_PER_DAY = Decimal(86400)


@dataclass(frozen=True, slots=True)
class Projection:
    elapsed_days: Decimal
    projected_usage_total: Decimal
    projected_fee: Decimal | None  # None: the commitment is not known in the invoice currency (no FX rate)


def project_month_end(
    usage_so_far: Decimal, commitment: Decimal | None, ramp_up: bool, now: datetime, currency: str
) -> Projection:
    """Usage so far / elapsed days x days of the month is the projected usage total; the projected fee is the
    commitment fee on it (docs/domain.md, "Month-end projection"), unknown while the commitment is."""
    period = period_of(now)
    elapsed = min(now, period_end_instant(period)) - period_start_instant(period)
    elapsed_seconds = Decimal(int(elapsed.total_seconds()))
    elapsed_days = elapsed_seconds / _SECONDS_PER_DAY
    if elapsed_seconds <= 0:
        projected = usage_so_far
    else:
        projected = round_money(usage_so_far / elapsed_days * days_in_period(period), currency)
    return Projection(
        elapsed_days=elapsed_days,
        projected_usage_total=projected,
        projected_fee=None if commitment is None else commitment_fee(projected, commitment, ramp_up),
    )
