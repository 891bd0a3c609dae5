"""The admin page's total in one reporting currency, and whose name a customer goes by (billing domain rules)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal as D

import pytest

from billing.domain.customer_names import ACRONIS, API, may_replace, replaceable_by
from billing.domain.distributor_margin import in_reporting_currency
from billing.domain.fx import MissingRate, RateTable

TABLES = [
    RateTable("early", date(2024, 1, 1), {"EUR": D("0.9"), "CHF": D("0.8")}),
    RateTable("late", date(2024, 3, 1), {"EUR": D("0.5"), "CHF": D("0.5")}),
]


def test_reporting_total_converts_each_currency_at_the_rate_in_force_on_the_invoice_date_then_rounds() -> None:
    total = in_reporting_currency(
        {"USD": (D("100.004"), D("60")), "EUR": (D("90"), D("45.01"))}, TABLES, "USD", date(2024, 2, 1)
    )
    # EUR -> USD is the inverse of 0.9 from the table in force on 2024-02-01 (not the later one), rounded per figure.
    assert total.rates["EUR"].rate_table_id == "early"
    assert total.revenue == D("100.00") + D("100.00")
    assert total.cost == D("60.00") + D("50.01")
    assert total.margin == total.revenue - total.cost
    assert total.complete
    assert total.missing == []
    assert list(total.rates) == ["EUR"]  # the reporting currency's own totals need no rate


def test_reporting_total_in_the_fx_base_currency_converts_direct_or_inverse_pairs_and_names_a_missing_rate() -> None:
    # The reporting currency is the FX base, which conversions go through: a pair no table quotes against it
    # (CHF -> EUR, the tables being quoted per USD) has no rate, and is named rather than guessed.
    total = in_reporting_currency({"USD": (D("10"), D("4")), "CHF": (D("8"), D("4"))}, TABLES, "EUR", date(2024, 4, 1))
    assert total.rates["USD"].rate == D("0.5")  # the table of 2024-03-01, in force on 2024-04-01
    assert (total.revenue, total.cost) == (D("5.00"), D("2.00"))
    assert total.missing == [MissingRate("CHF", "EUR", date(2024, 4, 1))]
    assert not total.complete


def test_reporting_total_of_no_invoices_is_zero_and_complete() -> None:
    total = in_reporting_currency({}, TABLES, "USD", date(2024, 2, 1))
    assert (total.revenue, total.cost, total.complete) == (D(0), D(0), True)


@pytest.mark.parametrize(
    ("incoming", "current", "replaces"),
    [(API, ACRONIS, True), (API, API, True), (ACRONIS, ACRONIS, True), (ACRONIS, API, False)],
)
def test_customer_name_from_the_api_wins_over_a_report_name_and_a_report_name_follows_the_report(
    incoming: str, current: str, replaces: bool
) -> None:
    assert may_replace(incoming, current) is replaces
    assert (current in replaceable_by(incoming)) is replaces
