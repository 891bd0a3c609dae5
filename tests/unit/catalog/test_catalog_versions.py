"""The catalog by effective date: the January 2024 renumbering, commitments and upgrade paths (seed 003)."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bss.events.contracts.value_types import AGGREGATIONS
from bss.money import PRICE_LIST_CURRENCIES
from catalog.domain.acronis_catalog import COMMITMENTS, LIST_RATES, acronis_catalog
from catalog.domain.definitions import change_kinds, changes_between, definition_on, definition_timeline, upgrade_ids
from catalog.domain.product_identity import product_id_for
from catalog.domain.timeline import Commitment, ProductRecord, ProductVersion

CATALOG = acronis_catalog()
RECORDS = [p.record for p in CATALOG.products]
SKUS = [s.spec for s in CATALOG.skus]


def record(code: str) -> ProductRecord:
    return next(r for r in RECORDS if r.code == code)


RENAMES = [
    ("csp-commit-0", "Tier 0", "Tier 0"),
    ("csp-commit-250", "Tier 1", "Tier 1"),
    ("csp-commit-1000", "Tier 2", "Tier 3"),
    ("csp-commit-2000", "Tier 3", "Tier 4"),
    ("csp-commit-4000", "Tier 4", "Tier 5"),
    ("csp-commit-10000", "Tier 5", "Tier 6"),
    ("csp-promo", "Promo", "Promo"),
]


@pytest.mark.parametrize(("code", "before", "after"), RENAMES)
def test_renames_as_of_2023_12_31_vs_2024_02_01(code: str, before: str, after: str) -> None:
    product = record(code)
    old, new = product.version_on(date(2023, 12, 31)), product.version_on(date(2024, 2, 1))
    assert old is not None
    assert new is not None
    assert (old.tier, new.tier) == (before, after)
    assert old.name == f"Acronis Cyber Cloud for Service Providers - {before}"
    assert new.name == f"Acronis Cyber Cloud for Service Providers - {after}"


def test_rename_keeps_product_identity_and_commitment() -> None:
    tier = record("csp-commit-1000")
    assert tier.id == product_id_for("csp-commit-1000")
    assert tier.commitments_on(date(2023, 12, 31))["USD"] == tier.commitments_on(date(2024, 2, 1))["USD"] == 1000


def test_tier_2_and_tier_7_exist_from_2024_01_01_only() -> None:
    for code, tier in (("csp-commit-500", "Tier 2"), ("csp-commit-25000", "Tier 7")):
        product = record(code)
        assert product.version_on(date(2023, 12, 31)) is None
        version = product.version_on(date(2024, 1, 1))
        assert version is not None
        assert version.tier == tier


@pytest.mark.parametrize(("code", "usd"), [(c, a["USD"]) for c, a in COMMITMENTS.items()])
def test_commitments_in_every_price_list_currency(code: str, usd: str) -> None:
    commitments = record(code).commitments_on(date(2024, 2, 1))
    assert set(commitments) == {"USD", "EUR", "GBP", "AUD", "JPY", "CAD"}
    assert commitments["USD"] == Decimal(usd)
    assert commitments["JPY"] == commitments["JPY"].to_integral_value()


def test_the_seed_tables_are_keyed_by_exactly_the_price_list_currencies() -> None:
    assert all(set(amounts) == set(PRICE_LIST_CURRENCIES) for amounts in COMMITMENTS.values())
    assert set(LIST_RATES) == set(PRICE_LIST_CURRENCIES)


def test_every_seeded_sku_has_a_known_aggregation_rule() -> None:
    assert {sku.aggregation for sku in SKUS} <= set(AGGREGATIONS)


def test_product_id_is_uuid5_of_code() -> None:
    assert product_id_for("csp-promo") == product_id_for("csp-promo") != product_id_for("csp-commit-0")


def test_upgrades_are_higher_commitments_of_the_exclusion_set() -> None:
    on = date(2024, 2, 1)
    ups = upgrade_ids(record("csp-commit-1000"), RECORDS, on)
    assert set(ups) == {
        product_id_for(c) for c in ("csp-commit-2000", "csp-commit-4000", "csp-commit-10000", "csp-commit-25000")
    }


def test_promo_upgrades_are_tiers_above_99_usd_and_promo_is_no_upgrade_target() -> None:
    on = date(2023, 6, 1)
    promo_ups = upgrade_ids(record("csp-promo"), RECORDS, on)
    assert product_id_for("csp-commit-250") in promo_ups
    assert product_id_for("csp-commit-0") not in promo_ups
    assert product_id_for("csp-promo") not in upgrade_ids(record("csp-commit-0"), RECORDS, on)


def test_upgrade_paths_gain_tier_7_from_2024_01_01() -> None:
    tier7 = product_id_for("csp-commit-25000")
    product = record("csp-commit-10000")
    assert upgrade_ids(product, RECORDS, date(2023, 12, 31)) == ()
    assert upgrade_ids(product, RECORDS, date(2024, 1, 1)) == (tier7,)


def test_timeline_of_renamed_tier_has_one_change_on_2024_01_01() -> None:
    timeline = definition_timeline(record("csp-commit-1000"), RECORDS, SKUS)
    assert [on for on, _ in timeline] == [date(2022, 1, 1), date(2024, 1, 1)]
    assert changes_between(timeline[0][1], timeline[1][1]) == ("renamed", "tier_moved", "upgrades_changed")


def test_timeline_of_tier_1_has_the_region_rule_from_2024() -> None:
    timeline = definition_timeline(record("csp-commit-250"), RECORDS, SKUS)
    before, after = timeline[0][1], timeline[-1][1]
    assert before.new_partner_restriction is None
    assert after.new_partner_restriction is not None
    assert after.new_partner_restriction.countries == (
        "AU",
        "GB",
        "IE",
        "US",
    )
    assert "orderability_changed" in changes_between(before, after)


def test_definition_before_the_product_exists_is_none() -> None:
    assert definition_on(record("csp-commit-500"), RECORDS, SKUS, date(2023, 12, 31)) is None


def test_pre_2024_catalog_has_no_new_tiers_and_old_names() -> None:
    old = acronis_catalog(known_on=date(2023, 12, 31))
    codes = {p.record.code for p in old.products}
    assert "csp-commit-500" not in codes
    assert "csp-commit-25000" not in codes
    assert all(p.effective_from < date(2024, 1, 1) for p in old.prices)
    tier = next(p.record for p in old.products if p.record.code == "csp-commit-1000")
    assert [v.tier for v in tier.versions] == ["Tier 2"]


def test_change_kinds_name_each_kind_once_in_a_stable_order() -> None:
    before = {"name": "A", "tier": "Tier 1", "orderable_before": None, "new_partner_restriction": None}
    after = {
        "name": "B",
        "tier": "Tier 2",
        "orderable_before": "2023-11-01",
        "new_partner_restriction": {"countries": ["US"]},
    }
    assert change_kinds(before, after) == ("renamed", "tier_moved", "orderability_changed")
    assert change_kinds(after, after) == ()


@given(st.lists(st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 1, 1)), min_size=1, max_size=6, unique=True))
def test_timeline_starts_when_the_product_exists_and_never_repeats_a_definition(starts: list[date]) -> None:
    versions = tuple(ProductVersion(on, f"Name {i % 2}", "Tier 9") for i, on in enumerate(sorted(starts)))
    product = ProductRecord(
        id="p", code="p", product_type="t", versions=versions, commitments=(Commitment("USD", min(starts), Decimal(1)),)
    )
    timeline = definition_timeline(product, [product], SKUS)
    assert timeline[0][0] == min(starts)
    assert all(a[1] != b[1] for a, b in itertools.pairwise(timeline))
    for on, definition in timeline:
        version = product.version_on(on)
        assert version is not None
        assert definition.name == version.name
