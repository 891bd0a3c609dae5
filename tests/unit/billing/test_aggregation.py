"""Aggregation conventions: per SKU per customer, then summed over customers; never rounded."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from billing.domain.aggregation import Reading, fold_readings, sku_quantity

D = Decimal


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2024, 3, day, hour, tzinfo=UTC)


def quantity(rule: str, readings: list[Reading], days: int = 31) -> Decimal:
    return sku_quantity(rule, fold_readings(readings).values(), days)  # type: ignore[arg-type]


def test_sum_adds_the_reported_deltas() -> None:
    assert quantity("sum", [Reading("c1", D("1.5"), at(1)), Reading("c1", D("2.25"), at(2))]) == D("3.75")


def test_max_takes_the_largest_value_per_customer_then_sums_customers() -> None:
    readings = [
        Reading("c1", D(5), at(1)),
        Reading("c1", D(9), at(2)),
        Reading("c1", D(7), at(3)),
        Reading("c2", D(4), at(1)),
    ]
    assert quantity("max", readings) == D(13)


def test_last_takes_the_latest_measured_value_whatever_the_arrival_order() -> None:
    readings = [Reading("c1", D(30), at(20)), Reading("c1", D(10), at(5)), Reading("c1", D(20), at(10))]
    assert quantity("last", readings) == D(30)


def test_average_is_the_sum_of_each_days_last_value_over_the_days_of_the_period() -> None:
    readings = [
        Reading("c1", D(100), at(1, 1)),
        Reading("c1", D(310), at(1, 23)),  # day 1's last value
        Reading("c1", D(0), at(2)),
    ]
    assert quantity("average", readings, days=31) == D(10)


def test_quantities_are_never_rounded() -> None:
    assert quantity("sum", [Reading("c1", D("0.000000001"), at(1))]) == D("0.000000001")


readings_strategy = st.lists(
    st.builds(
        Reading,
        customer_id=st.sampled_from(["c1", "c2", "c3"]),
        quantity=st.decimals(min_value=0, max_value=10**6, places=3),
        measured_at=st.integers(min_value=1, max_value=31).map(at),
    ),
    max_size=20,
)


@given(readings=readings_strategy, rule=st.sampled_from(["sum", "max", "last", "average"]), seed=st.randoms())
def test_aggregation_does_not_depend_on_arrival_order(readings: list[Reading], rule: str, seed: object) -> None:
    shuffled = list(readings)
    seed.shuffle(shuffled)  # type: ignore[attr-defined]
    assert quantity(rule, readings) == quantity(rule, shuffled)
