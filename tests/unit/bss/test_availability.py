"""The Tier 1 region rule (seed 003; docs/domain.md, "Tier 1 region rule"): its one evaluation, which the catalog's
eligibility answer and the subscriptions' order and tier-change checks all call."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bss.availability import NewPartnerRule, Partner, country_code, new_partner_refused

RULE = NewPartnerRule(countries=("AU", "GB", "IE", "US"), partners_since=date(2024, 1, 1))


@pytest.mark.parametrize("country", ["US", "GB", "IE", "AU"])
def test_a_partner_since_2024_01_01_in_a_rule_country_is_refused(country: str) -> None:
    assert new_partner_refused(RULE, Partner(country, date(2024, 1, 1)))


@pytest.mark.parametrize("country", ["US", "GB", "IE", "AU"])
def test_a_partner_from_before_2024_01_01_in_a_rule_country_keeps_the_tier(country: str) -> None:
    assert not new_partner_refused(RULE, Partner(country, date(2023, 12, 31)))


def test_a_new_partner_outside_the_rule_countries_is_not_refused() -> None:
    assert not new_partner_refused(RULE, Partner("DE", date(2024, 6, 1)))


def test_a_product_version_without_a_rule_refuses_no_one() -> None:
    assert not new_partner_refused(None, Partner("US", date(2024, 6, 1)))


@pytest.mark.parametrize("written", ["gb", "Gb", " GB "])
def test_a_country_code_is_compared_upper_case_however_it_was_written(written: str) -> None:
    assert country_code(written) == "GB"
    assert Partner(written, date(2024, 1, 1)).country == "GB"
    assert new_partner_refused(RULE, Partner(written, date(2024, 1, 1)))


@given(
    st.sampled_from(["US", "us", "GB", "gb", "IE", "AU", "DE", "de", "FR", "JP"]),
    st.dates(min_value=date(2015, 1, 1), max_value=date(2030, 1, 1)),
)
def test_refused_exactly_when_in_a_rule_country_and_a_partner_from_the_rule_date(country: str, since: date) -> None:
    expected = country.upper() in {"US", "GB", "IE", "AU"} and since >= date(2024, 1, 1)
    assert new_partner_refused(RULE, Partner(country, since)) == expected
