"""Which usage events billing accepts, and where late usage is billed."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, timedelta

import pytest

from billing.domain.subscription_timeline import PaidWindow
from billing.domain.usage_rules import SubscriptionFacts, billed_in, bucket_day, check_usage

NOW = datetime(2024, 3, 10, 12, tzinfo=UTC)
PAID = SubscriptionFacts(
    reseller_id="r1",
    status="active",
    started_at=datetime(2024, 1, 5, tzinfo=UTC),
    window=PaidWindow(paid_from=datetime(2024, 1, 5, tzinfo=UTC)),
    skus={"SKU-A": "sum"},
)
TRIAL = SubscriptionFacts(
    reseller_id="r1",
    status="trial",
    started_at=datetime(2024, 3, 1, tzinfo=UTC),
    window=PaidWindow(paid_from=None),
    skus={"SKU-A": "sum"},
)


def reason(facts: SubscriptionFacts | None, **overrides: object) -> str | None:
    event: dict[str, object] = {
        "subscription_id": "s1",
        "reseller_id": "r1",
        "sku": "SKU-A",
        "measured_at": NOW - timedelta(hours=1),
    }
    event.update(overrides)
    rejection = check_usage(facts, now=NOW, future_tolerance=timedelta(hours=1), **event)  # type: ignore[arg-type]
    return rejection.reason_code if rejection else None


def test_usage_of_a_paid_subscription_is_accepted() -> None:
    assert reason(PAID) is None


@pytest.mark.parametrize(
    ("facts", "overrides", "expected"),
    [
        (None, {}, "unknown_subscription"),
        (PAID, {"reseller_id": "r2"}, "reseller_mismatch"),
        (PAID, {"sku": "SKU-B"}, "unknown_sku"),
        (PAID, {"measured_at": NOW + timedelta(hours=2)}, "measured_in_future"),
        (PAID, {"measured_at": datetime(2024, 1, 4, tzinfo=UTC)}, "outside_subscription"),
        (TRIAL, {}, "outside_subscription"),
    ],
)
def test_usage_is_rejected_with_its_reason(
    facts: SubscriptionFacts | None, overrides: dict[str, object], expected: str
) -> None:
    assert reason(facts, **overrides) == expected


def test_usage_within_the_future_tolerance_is_accepted() -> None:
    assert reason(PAID, measured_at=NOW + timedelta(minutes=59)) is None


def test_late_usage_of_an_invoiced_period_is_billed_on_the_next_open_period() -> None:
    assert billed_in(date(2024, 2, 1), closed_through=None) == date(2024, 2, 1)
    assert billed_in(date(2024, 2, 1), closed_through=date(2024, 1, 1)) == date(2024, 2, 1)
    assert billed_in(date(2024, 1, 1), closed_through=date(2024, 2, 1)) == date(2024, 3, 1)


def test_average_skus_keep_one_value_per_day_the_others_one_per_period() -> None:
    at = datetime(2024, 2, 14, 23, 59, tzinfo=UTC)
    assert bucket_day("average", at) == date(2024, 2, 14)
    assert bucket_day("last", at) == date(2024, 2, 1)


def test_usage_of_a_month_billed_elsewhere_is_rejected_and_the_next_month_accepted() -> None:
    imported = dataclasses.replace(PAID, billed_elsewhere_through=date(2024, 2, 1))
    assert reason(imported, measured_at=datetime(2024, 2, 29, 23, 59, tzinfo=UTC)) == "billed_elsewhere"
    assert reason(imported, measured_at=datetime(2024, 1, 20, tzinfo=UTC)) == "billed_elsewhere"
    assert reason(imported, measured_at=datetime(2024, 3, 1, tzinfo=UTC)) is None
