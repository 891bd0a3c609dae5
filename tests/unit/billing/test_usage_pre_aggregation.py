"""Pre-aggregating a batch gives, per aggregate key, exactly what merging the readings one by one gives."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from billing.adapters.usage_aggregates import AcceptedUsage, _Bucket, _key, pre_aggregate
from billing.domain.aggregation import LatestValue

START = datetime(2024, 2, 1, tzinfo=UTC)

readings = st.lists(
    st.tuples(
        st.sampled_from(["cust-a", "cust-b"]),
        st.sampled_from(["SKU-1", "SKU-2"]),
        st.decimals(min_value=0, max_value=1000, places=2, allow_nan=False, allow_infinity=False),
        st.integers(min_value=0, max_value=3),  # few distinct instants: ties happen
    ),
    max_size=40,
)


def _usage(customer: str, sku: str, quantity: Decimal, hour: int) -> AcceptedUsage:
    return AcceptedUsage(
        subscription_id="sub",
        reseller_id="res",
        customer_id=customer,
        sku=sku,
        rule="sum",
        quantity=quantity,
        measured_at=START + timedelta(hours=hour),
        closed_through=None,
        period=date(2024, 2, 1),
    )


@given(readings)
def test_pre_aggregation_equals_merging_each_reading_sum_max_last_and_count(batch: list[tuple]) -> None:  # type: ignore[type-arg]
    usages = [_usage(*reading) for reading in batch]
    expected: dict[tuple, _Bucket] = {}  # type: ignore[type-arg]
    for usage in usages:
        one = _Bucket(
            usage.reseller_id, usage.quantity, usage.quantity, LatestValue(usage.measured_at, usage.quantity), 1
        )
        key = _key(usage)
        if key in expected:
            expected[key].merge(one)
        else:
            expected[key] = one
    assert pre_aggregate(usages) == expected
