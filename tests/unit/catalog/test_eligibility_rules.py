"""Availability rules of the Acronis contract products (seed 003), on the seeded catalog."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from catalog.domain.acronis_catalog import acronis_catalog
from catalog.domain.eligibility import Refusal, ResellerProfile, is_orderable
from catalog.domain.timeline import ProductRecord

EXISTING_PARTNER = date(2021, 6, 1)
NEW_PARTNER = date(2024, 1, 1)


def product(code: str) -> ProductRecord:
    return next(p.record for p in acronis_catalog().products if p.record.code == code)


def test_promo_orderable_on_2023_10_31() -> None:
    assert is_orderable(product("csp-promo"), ResellerProfile("DE", EXISTING_PARTNER), date(2023, 10, 31)).orderable


def test_promo_not_orderable_from_2023_11_01() -> None:
    result = is_orderable(product("csp-promo"), ResellerProfile("DE", EXISTING_PARTNER), date(2023, 11, 1))
    assert result.codes == (Refusal.PURCHASE_WINDOW_CLOSED,)
    assert "2023-11-01" in result.reasons[0].message


@pytest.mark.parametrize("country", ["US", "GB", "IE", "AU"])
def test_tier_1_not_orderable_for_new_partner_in_restricted_country(country: str) -> None:
    result = is_orderable(product("csp-commit-250"), ResellerProfile(country, NEW_PARTNER), date(2024, 2, 1))
    assert result.codes == (Refusal.NEW_PARTNER_REGION,)


@pytest.mark.parametrize("country", ["US", "GB", "IE", "AU"])
def test_tier_1_orderable_for_existing_partner_in_restricted_country(country: str) -> None:
    assert is_orderable(
        product("csp-commit-250"), ResellerProfile(country, date(2023, 12, 31)), date(2024, 2, 1)
    ).orderable


def test_tier_1_orderable_for_new_partner_in_de() -> None:
    assert is_orderable(product("csp-commit-250"), ResellerProfile("DE", NEW_PARTNER), date(2024, 2, 1)).orderable


def test_region_rule_reads_lower_case_country_codes() -> None:
    result = is_orderable(product("csp-commit-250"), ResellerProfile("gb", NEW_PARTNER), date(2024, 2, 1))
    assert result.codes == (Refusal.NEW_PARTNER_REGION,)


@pytest.mark.parametrize("country", ["US", "GB", "IE", "AU"])
def test_region_rule_applies_only_to_tier_1(country: str) -> None:
    for code in ("csp-commit-0", "csp-commit-500", "csp-commit-1000", "csp-commit-25000"):
        assert is_orderable(product(code), ResellerProfile(country, NEW_PARTNER), date(2024, 2, 1)).orderable


def test_deactivated_product_not_orderable_from_its_deactivation_date() -> None:
    tier3 = replace(product("csp-commit-1000"), deactivated_on=date(2025, 1, 1))
    reseller = ResellerProfile("DE", EXISTING_PARTNER)
    assert is_orderable(tier3, reseller, date(2024, 12, 31)).orderable
    assert is_orderable(tier3, reseller, date(2025, 1, 1)).codes == (Refusal.DEACTIVATED,)


def test_every_reason_is_returned_when_several_apply() -> None:
    promo = replace(product("csp-promo"), deactivated_on=date(2023, 11, 1))
    result = is_orderable(promo, ResellerProfile("US", NEW_PARTNER), date(2024, 3, 1))
    assert result.codes == (Refusal.DEACTIVATED, Refusal.PURCHASE_WINDOW_CLOSED)


def test_new_tiers_not_orderable_before_2024_01_01() -> None:
    reseller = ResellerProfile("DE", EXISTING_PARTNER)
    for code in ("csp-commit-500", "csp-commit-25000"):
        assert is_orderable(product(code), reseller, date(2023, 12, 31)).codes == (Refusal.NOT_AVAILABLE_YET,)
        assert is_orderable(product(code), reseller, date(2024, 1, 1)).orderable
