"""Tier names, commitments, prices, FX and the subscription timeline, as of a period."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from billing.domain.catalog_view import (
    DatedAdjustment,
    DatedPrice,
    ProductVersion,
    commitment_on,
    price_list_currency,
    reseller_unit_price_on,
    tier_name_on,
)
from billing.domain.distributor_margin import cost_factor, invoice_margin, tier_one_program_active
from billing.domain.fx import NoFxRate, RateTable, quote
from billing.domain.invoice_math import Line, invoice_date_of
from billing.domain.shortfall import UsageSoFar, project_month_end
from billing.domain.subscription_timeline import (
    PaidWindow,
    TierStep,
    apply_tier_change,
    is_billable_period,
    is_billed_instant,
    product_in_force,
    waived_periods,
)
from bss.calendar_months import period_of
from bss.ramp_up import RampUpWindow, in_ramp_up

D = Decimal
TIER3_2024 = ProductVersion(
    effective_from=date(2024, 1, 1),
    name="Acronis Cyber Cloud for Service Providers - Tier 3",
    tier="Tier 3",
    commitments=(("USD", D(1000)), ("EUR", D(920))),
    previous_tier="Tier 2",
)


def test_december_2023_invoice_names_tier_2_for_the_1000_usd_product() -> None:
    assert tier_name_on([TIER3_2024], date(2023, 12, 1)) == "Tier 2"
    assert tier_name_on([TIER3_2024], date(2024, 1, 1)) == "Tier 3"


def test_commitment_survives_the_rename() -> None:
    assert commitment_on([TIER3_2024], date(2023, 12, 1), "USD") == D(1000)
    assert commitment_on([TIER3_2024], date(2024, 2, 1), "EUR") == D(920)
    assert commitment_on([TIER3_2024], date(2024, 2, 1), "JPY") is None


def test_non_price_list_currency_is_rated_in_usd_and_converted() -> None:
    assert price_list_currency("CHF", ["USD", "EUR"], "USD") == "USD"
    assert price_list_currency("EUR", ["USD", "EUR"], "USD") == "EUR"
    assert price_list_currency("JPY", ["USD", "EUR"], "USD") == "USD"  # product has no JPY commitment


def test_custom_price_beats_adjusted_sell_price_which_beats_sell_price() -> None:
    sell = [DatedPrice(date(2024, 1, 1), D("2.00"))]
    custom = [DatedPrice(date(2024, 1, 1), D("1.50"))]
    markup = [DatedAdjustment(date(2024, 1, 1), "markup", D(10))]
    assert reseller_unit_price_on(sell, custom, markup, date(2024, 3, 1)) == D("1.50")
    assert reseller_unit_price_on(sell, [], markup, date(2024, 3, 1)) == D("2.200")
    margin = [DatedAdjustment(date(2024, 1, 1), "margin", D(20))]
    assert reseller_unit_price_on(sell, [], margin, date(2024, 3, 1)) == D("2.5")
    assert reseller_unit_price_on(sell, [], [], date(2024, 3, 1)) == D("2.00")
    assert reseller_unit_price_on(sell, [], [], date(2023, 12, 1)) is None


def test_fx_uses_the_latest_rate_on_or_before_the_invoice_date() -> None:
    tables = [
        RateTable("a", date(2024, 1, 1), {"CHF": D("0.8412")}),
        RateTable("b", date(2024, 2, 2), {"CHF": D("0.9")}),
    ]
    assert quote(tables, "USD", "CHF", date(2024, 2, 1)).rate == D("0.8412")
    assert quote(tables, "USD", "CHF", date(2024, 2, 2)).rate_table_id == "b"
    with pytest.raises(NoFxRate):
        quote(tables, "USD", "CHF", date(2023, 12, 31))


def test_fx_cross_rate_through_usd() -> None:
    tables = [RateTable("a", date(2024, 1, 1), {"EUR": D("0.8"), "CHF": D("0.9")})]
    assert quote(tables, "EUR", "CHF", date(2024, 2, 1)).rate == D("1.125")


def test_upgrade_cancels_a_pending_downgrade_and_a_second_downgrade_replaces_the_first() -> None:
    schedule = apply_tier_change((), TierStep(date(2024, 4, 1), "tier2"))  # downgrade pending for April
    schedule = apply_tier_change(schedule, TierStep(date(2024, 4, 1), "tier1"))  # second downgrade replaces
    assert product_in_force("tier3", schedule, date(2024, 4, 1)) == "tier1"
    schedule = apply_tier_change(schedule, TierStep(date(2024, 3, 1), "tier4"))  # upgrade in March
    assert product_in_force("tier3", schedule, date(2024, 3, 1)) == "tier4"
    assert product_in_force("tier3", schedule, date(2024, 4, 1)) == "tier4"
    assert product_in_force("tier3", schedule, date(2024, 2, 1)) == "tier3"


def test_billing_waives_the_periods_of_the_carried_ramp_up_window_and_counts_cycles_only_for_older_events() -> None:
    paid = PaidWindow(paid_from=datetime(2023, 10, 20, tzinfo=UTC))
    carried = RampUpWindow(date(2023, 10, 1), date(2023, 11, 1))
    assert waived_periods(carried, paid, legacy_cycles=3) == carried  # the events' window, not the cycles
    legacy = waived_periods(None, paid, legacy_cycles=1)  # an event from before the window was carried
    assert legacy == RampUpWindow(date(2023, 10, 1), date(2023, 10, 1))
    assert [in_ramp_up(legacy, date(2023, m, 1)) for m in (9, 10, 11)] == [False, True, False]
    assert waived_periods(None, PaidWindow(paid_from=None), legacy_cycles=1) is None  # still in trial
    assert waived_periods(None, paid, legacy_cycles=0) is None


def test_usage_measured_in_trial_is_never_invoiced_and_the_cancelled_last_month_is_billed_in_full() -> None:
    window = PaidWindow(paid_from=datetime(2024, 3, 10, tzinfo=UTC), last_billed_period=date(2024, 5, 1))
    assert not is_billed_instant(window, datetime(2024, 3, 9, tzinfo=UTC))
    assert is_billed_instant(window, datetime(2024, 5, 31, 23, tzinfo=UTC))
    assert not is_billed_instant(window, datetime(2024, 6, 1, tzinfo=UTC))
    assert is_billable_period(window, date(2024, 3, 1))
    assert not is_billable_period(window, date(2024, 6, 1))
    assert not is_billable_period(PaidWindow(paid_from=None), date(2024, 3, 1))


def test_periods_are_utc_calendar_months_and_invoice_date_is_the_next_first() -> None:
    assert period_of(datetime(2024, 1, 31, 23, 59, tzinfo=UTC)) == date(2024, 1, 1)
    assert invoice_date_of(date(2023, 12, 1)) == date(2024, 1, 1)


def test_distributor_cost_factor_with_the_tier_one_program_active_for_the_whole_period() -> None:
    assert tier_one_program_active(date(2024, 3, 1), date(2024, 3, 1))
    assert not tier_one_program_active(date(2024, 3, 2), date(2024, 3, 1))
    factor = cost_factor(D(20), True, D(10))
    assert factor == D("0.72")
    lines = [
        Line(kind="usage", description="u", amount=D("850.00")),
        Line(kind="commitment_fee", description="f", amount=D("150.00")),
    ]
    margin = invoice_margin(lines, "USD", factor)
    assert (margin.revenue, margin.cost, margin.margin) == (D("1000.00"), D("612.00"), D("388.00"))


def test_shortfall_projection_of_a_sum_sku_at_the_daily_rate_so_far() -> None:
    now = datetime(2024, 4, 10, tzinfo=UTC)  # 9 days elapsed of 30
    projection = project_month_end([UsageSoFar("JOBS", "sum", D(27), D("270.00"))], D(1000), False, now, "USD")
    assert projection.projected_usage_total == D("900.00")
    assert projection.projected_fee == D("100.00")
