"""Months close in order (ADR 0011), and which usage refusals are final (ADR 0010)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from billing.domain.subscription_timeline import PaidWindow, first_open_period
from billing.domain.usage_rules import is_final_refusal

JAN, FEB, MAR, APR = date(2024, 1, 1), date(2024, 2, 1), date(2024, 3, 1), date(2024, 4, 1)
PAID_FROM_JAN = PaidWindow(datetime(2024, 1, 10, tzinfo=UTC))


def test_months_close_in_order_a_never_invoiced_subscription_is_open_from_its_first_paid_month() -> None:
    assert first_open_period(PAID_FROM_JAN, None, before=APR) == JAN


def test_months_close_in_order_the_month_after_the_last_one_closed_is_open() -> None:
    assert first_open_period(PAID_FROM_JAN, JAN, before=APR) == FEB


def test_months_close_in_order_nothing_is_open_when_the_previous_month_is_closed() -> None:
    assert first_open_period(PAID_FROM_JAN, MAR, before=APR) is None


def test_months_close_in_order_months_after_the_subscription_ended_are_not_open() -> None:
    ended = PaidWindow(datetime(2024, 1, 10, tzinfo=UTC), ends_at=datetime(2024, 2, 1, tzinfo=UTC))
    assert first_open_period(ended, JAN, before=APR) is None


def test_months_close_in_order_a_subscription_not_yet_paid_has_no_open_month() -> None:
    assert first_open_period(PaidWindow(None), None, before=APR) is None
    assert first_open_period(PaidWindow(datetime(2024, 3, 5, tzinfo=UTC)), None, before=MAR) is None


@pytest.mark.parametrize(
    ("reason", "final"),
    [
        ("unknown_subscription", False),  # the subscription may not have reached billing yet
        ("unknown_sku", True),
        ("reseller_mismatch", True),
        ("outside_subscription", True),
        ("measured_in_future", True),
        ("invalid_payload", True),
        (None, True),  # accepted
    ],
)
def test_usage_refusal_is_final_except_for_an_unknown_subscription(reason: str | None, final: bool) -> None:
    assert is_final_refusal(reason) is final
