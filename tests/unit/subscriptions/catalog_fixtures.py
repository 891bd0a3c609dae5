"""The Acronis CSP contract products as the subscriptions read model holds them, for the rule tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from bss.availability import NewPartnerRule
from subscriptions.domain.catalog_model import Product, ProductVersion

TIER0 = "0190c3a0-0000-7000-8000-000000000000"
TIER1 = "0190c3a0-0001-7000-8000-000000000001"
TIER2_NEW = "0190c3a0-0002-7000-8000-000000000002"
T1000 = "0190c3a0-0003-7000-8000-000000000003"
T2000 = "0190c3a0-0004-7000-8000-000000000004"
T4000 = "0190c3a0-0005-7000-8000-000000000005"
T10000 = "0190c3a0-0006-7000-8000-000000000006"
TIER7 = "0190c3a0-0007-7000-8000-000000000007"
PROMO = "0190c3a0-0009-7000-8000-000000000009"

COMMITMENTS = {
    TIER0: 0,
    TIER1: 250,
    TIER2_NEW: 500,
    T1000: 1000,
    T2000: 2000,
    T4000: 4000,
    T10000: 10000,
    TIER7: 25000,
}
BEFORE_2024 = {TIER0: "Tier 0", TIER1: "Tier 1", T1000: "Tier 2", T2000: "Tier 3", T4000: "Tier 4", T10000: "Tier 5"}
FROM_2024 = {
    TIER0: "Tier 0",
    TIER1: "Tier 1",
    TIER2_NEW: "Tier 2",
    T1000: "Tier 3",
    T2000: "Tier 4",
    T4000: "Tier 5",
    T10000: "Tier 6",
    TIER7: "Tier 7",
}
REGION_RULE = NewPartnerRule(("US", "GB", "IE", "AU"), date(2024, 1, 1))


def upgrades_of(product_id: str) -> frozenset[str]:
    return frozenset(p for p, c in COMMITMENTS.items() if c > COMMITMENTS[product_id])


def _version(product_id: str, tier: str, effective_from: date) -> ProductVersion:
    return ProductVersion(
        product_id=product_id,
        effective_from=effective_from,
        code=f"ACC-{tier}",
        name=f"Acronis Cyber Cloud for Service Providers - {tier}",
        tier=tier,
        commitments={"USD": Decimal(COMMITMENTS[product_id]), "EUR": Decimal(COMMITMENTS[product_id]) * 92 / 100},
        upgrade_product_ids=upgrades_of(product_id),
        exclusion_set="acronis-csp-contracts",
        new_partner_rule=REGION_RULE if product_id == TIER1 else None,
    )


def catalog() -> dict[str, Product]:
    products: dict[str, Product] = {}
    for product_id in COMMITMENTS:
        versions = []
        if product_id in BEFORE_2024:
            versions.append(_version(product_id, BEFORE_2024[product_id], date(2019, 1, 1)))
        versions.append(_version(product_id, FROM_2024[product_id], date(2024, 1, 1)))
        products[product_id] = Product(product_id, versions)
    promo = ProductVersion(
        product_id=PROMO,
        effective_from=date(2019, 1, 1),
        code="ACC-PROMO",
        name="Acronis Cyber Cloud for Service Providers - Promo",
        tier="Promo",
        commitments={"USD": Decimal(99)},
        upgrade_product_ids=frozenset(),
        exclusion_set="acronis-csp-contracts",
        orderable_before=date(2023, 11, 1),
    )
    products[PROMO] = Product(PROMO, [promo])
    return products
