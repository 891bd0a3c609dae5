"""The month-end projection, one rule per aggregation (docs/domain.md, "Month-end projection")."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from billing.domain.shortfall import MonthSoFar, UsageSoFar, month_end_factor, project_month_end
from bss.events.contracts.value_types import Aggregation

APRIL_10 = datetime(2024, 4, 10, tzinfo=UTC)  # 9 days elapsed of 30 (the 10th not begun yet)


@pytest.mark.parametrize(
    ("aggregation", "quantity", "amount", "projected_quantity", "projected_amount"),
    [
        ("sum", D(90), D("9.00"), D("300.0000"), D("30.00")),  # 90 jobs in 9 days: 300 by the 30th
        ("max", D(108), D("270.00"), D("108.0000"), D("270.00")),  # the peak so far is the month's
        ("last", D(1200), D("42.00"), D("1200.0000"), D("42.00")),  # the latest reading is the month's
        # 9 days begun, daily values summing to 450 (an average of 50): the invoice divides by 30 so far
        ("average", D(450) / D(30), D("0.52"), D("50.0000"), D("1.73")),
    ],
)
def test_projection_per_aggregation(
    aggregation: Aggregation, quantity: D, amount: D, projected_quantity: D, projected_amount: D
) -> None:
    projection = project_month_end([UsageSoFar("SKU", aggregation, quantity, amount)], None, False, APRIL_10, "USD")
    [sku] = projection.skus
    assert (sku.projected_quantity, sku.projected_amount) == (projected_quantity, projected_amount)
    assert projection.projected_usage_total == projected_amount


def test_projection_the_fee_rule_on_the_projected_total_and_none_in_ramp_up() -> None:
    usage = [UsageSoFar("WS", "max", D(108), D("270.00")), UsageSoFar("JOBS", "sum", D(90), D("9.00"))]
    projection = project_month_end(usage, D(1000), False, APRIL_10, "USD")
    assert (projection.projected_usage_total, projection.projected_fee) == (D("300.00"), D("700.00"))
    assert project_month_end(usage, D(1000), True, APRIL_10, "USD").projected_fee == D(0)


def test_projection_at_the_months_start_and_end() -> None:
    start = MonthSoFar.at(datetime(2024, 4, 1, tzinfo=UTC))
    assert (start.elapsed_days, start.days_begun) == (D(0), 1)
    assert month_end_factor("sum", start) == 1  # nothing elapsed: nothing to extrapolate
    assert month_end_factor("average", start) == 30
    end = MonthSoFar.at(datetime(2024, 4, 30, 23, 59, 59, tzinfo=UTC))
    assert month_end_factor("average", end) == 1
    after = MonthSoFar.at(datetime(2024, 5, 1, tzinfo=UTC) - timedelta(microseconds=1))
    assert after.days_begun == 30


@settings(max_examples=300, deadline=None)
@given(
    aggregation=st.sampled_from(["sum", "max", "last", "average"]),
    quantity=st.decimals(min_value=0, max_value=10**9, places=4, allow_nan=False, allow_infinity=False),
    amount=st.decimals(min_value=0, max_value=10**9, places=2, allow_nan=False, allow_infinity=False),
    seconds=st.integers(min_value=0, max_value=30 * 86400 - 1),
)
def test_projection_is_never_below_the_usage_so_far(
    aggregation: Aggregation, quantity: D, amount: D, seconds: int
) -> None:
    now = datetime(2024, 4, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    projection = project_month_end([UsageSoFar("S", aggregation, quantity, amount)], D(1000), False, now, "USD")
    [sku] = projection.skus
    assert sku.projected_amount >= amount
    assert sku.projected_quantity >= quantity.quantize(D("0.0001"))
    assert projection.projected_usage_total >= amount
