"""The Acronis CSP catalog as the vendor's "services definition" describes it, with its history (seeds 003, 004).

Seed assumptions (where the source pages are silent):
- History starts on 2022-01-01 (`HISTORY_START`): the pre-2024 tiers, Promo and their prices exist from then.
- Commitments in EUR, GBP, AUD, JPY and CAD are the USD commitment converted at fixed list rates
  (1 USD = 0.92 EUR = 0.79 GBP = 1.52 AUD = 150 JPY = 1.36 CAD), rounded half up to a price point:
  a whole unit below 1,000, a multiple of 10 from 1,000, and a multiple of 100 yen in JPY.
  The table below holds the results as literals, so nothing is rounded at run time.
- Usage SKU unit prices: a Tier 0 list price in USD per SKU, times a tier factor (a higher commitment buys a
  lower unit price: 1.00 at 0 USD down to 0.65 at 25,000 USD), times the same list rate for other currencies.
  Unit prices are exact products of these decimals, never rounded (invoice lines are rounded, not prices).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from bss.availability import NewPartnerRule
from bss.money import PRICE_LIST_CURRENCIES
from catalog.domain.product_identity import product_id_for
from catalog.domain.timeline import Commitment, ProductRecord, ProductVersion, UsageSkuSpec

HISTORY_START = date(2022, 1, 1)
RENUMBERING = date(2024, 1, 1)
PROMO_END = date(2023, 11, 1)
PRODUCT_TYPE = "Acronis Cyber Cloud for Service Providers"
PRODUCT_TYPE_CODE = "acronis-ccsp"
CHARACTERISTICS = ("Tier",)
EXCLUSION_SET = "acronis-csp-contracts"
GROUP_NAME = "Acronis Cyber Cloud for Service Providers"
GROUP_CATEGORY = "Cloud Backup & Cyber Protection"
GROUP_MARKETING = (
    "Acronis Cyber Cloud contracts for service providers: pick the monthly commitment that fits your business "
    "and pay per use; a higher commitment buys lower unit prices."
)
NEW_PARTNER_RULE = NewPartnerRule(countries=("AU", "GB", "IE", "US"), partners_since=RENUMBERING)
LIST_RATES: dict[str, Decimal] = {
    "USD": Decimal(1),
    "EUR": Decimal("0.92"),
    "GBP": Decimal("0.79"),
    "AUD": Decimal("1.52"),
    "JPY": Decimal(150),
    "CAD": Decimal("1.36"),
}

# code -> monthly commitment per price-list currency (every one of `bss.money.PRICE_LIST_CURRENCIES`)
COMMITMENTS: dict[str, dict[str, str]] = {
    "csp-commit-0": {"USD": "0", "EUR": "0", "GBP": "0", "AUD": "0", "JPY": "0", "CAD": "0"},
    "csp-promo": {"USD": "99", "EUR": "91", "GBP": "78", "AUD": "150", "JPY": "14900", "CAD": "135"},
    "csp-commit-250": {"USD": "250", "EUR": "230", "GBP": "198", "AUD": "380", "JPY": "37500", "CAD": "340"},
    "csp-commit-500": {"USD": "500", "EUR": "460", "GBP": "395", "AUD": "760", "JPY": "75000", "CAD": "680"},
    "csp-commit-1000": {"USD": "1000", "EUR": "920", "GBP": "790", "AUD": "1520", "JPY": "150000", "CAD": "1360"},
    "csp-commit-2000": {"USD": "2000", "EUR": "1840", "GBP": "1580", "AUD": "3040", "JPY": "300000", "CAD": "2720"},
    "csp-commit-4000": {"USD": "4000", "EUR": "3680", "GBP": "3160", "AUD": "6080", "JPY": "600000", "CAD": "5440"},
    "csp-commit-10000": {
        "USD": "10000",
        "EUR": "9200",
        "GBP": "7900",
        "AUD": "15200",
        "JPY": "1500000",
        "CAD": "13600",
    },
    "csp-commit-25000": {
        "USD": "25000",
        "EUR": "23000",
        "GBP": "19750",
        "AUD": "38000",
        "JPY": "3750000",
        "CAD": "34000",
    },
}

# code -> tier factor applied to the Tier 0 list price
TIER_FACTORS: dict[str, Decimal] = {
    "csp-commit-0": Decimal("1.00"),
    "csp-promo": Decimal("0.95"),
    "csp-commit-250": Decimal("0.92"),
    "csp-commit-500": Decimal("0.88"),
    "csp-commit-1000": Decimal("0.85"),
    "csp-commit-2000": Decimal("0.80"),
    "csp-commit-4000": Decimal("0.75"),
    "csp-commit-10000": Decimal("0.70"),
    "csp-commit-25000": Decimal("0.65"),
}

# code -> [(effective_from, tier)]; names follow the tier.
TIER_HISTORY: dict[str, tuple[tuple[date, str], ...]] = {
    "csp-commit-0": ((HISTORY_START, "Tier 0"),),
    "csp-commit-250": ((HISTORY_START, "Tier 1"), (RENUMBERING, "Tier 1")),
    "csp-commit-500": ((RENUMBERING, "Tier 2"),),
    "csp-commit-1000": ((HISTORY_START, "Tier 2"), (RENUMBERING, "Tier 3")),
    "csp-commit-2000": ((HISTORY_START, "Tier 3"), (RENUMBERING, "Tier 4")),
    "csp-commit-4000": ((HISTORY_START, "Tier 4"), (RENUMBERING, "Tier 5")),
    "csp-commit-10000": ((HISTORY_START, "Tier 5"), (RENUMBERING, "Tier 6")),
    "csp-commit-25000": ((RENUMBERING, "Tier 7"),),
    "csp-promo": ((HISTORY_START, "Promo"),),
}


@dataclass(frozen=True, slots=True)
class SeedSku:
    spec: UsageSkuSpec
    list_price_usd: Decimal
    description: str


def _sku(sku: str, name: str, unit: str, aggregation: str, price: str, description: str) -> SeedSku:
    return SeedSku(UsageSkuSpec(sku, name, unit, aggregation, HISTORY_START), Decimal(price), description)


SKUS: tuple[SeedSku, ...] = (
    _sku("CSP-SERVERS", "Servers", "workload", "max", "28.00", "Protected physical servers, peak count."),
    _sku("CSP-VMS", "Virtual machines", "workload", "max", "14.00", "Protected virtual machines, peak count."),
    _sku("CSP-WORKSTATIONS", "Workstations", "workload", "max", "3.20", "Protected workstations, peak count."),
    _sku("CSP-M365-SEATS", "Microsoft 365 seats", "seat", "max", "1.10", "Protected Microsoft 365 users."),
    _sku("CSP-GWS-SEATS", "Google Workspace seats", "seat", "max", "0.90", "Protected Google Workspace users."),
    _sku("CSP-WEBSITES", "Websites", "website", "max", "2.50", "Protected websites, peak count."),
    _sku("CSP-MOBILE", "Mobile devices", "device", "max", "1.00", "Protected mobile devices, peak count."),
    _sku("CSP-FSS-USERS", "File Sync & Share users", "user", "max", "1.50", "File Sync & Share users."),
    _sku("CSP-CLOUD-STORAGE-GB", "Acronis Cloud storage", "GB", "last", "0.060", "Backup storage, binary GB."),
    _sku("CSP-HOSTED-STORAGE-GB", "Hosted storage", "GB", "last", "0.015", "Partner-hosted storage, binary GB."),
    _sku("CSP-M365-STORAGE-GB", "Microsoft 365 storage", "GB", "last", "0.045", "Microsoft 365 backups, binary GB."),
    _sku("CSP-GWS-STORAGE-GB", "Google Workspace storage", "GB", "last", "0.045", "Google backups, binary GB."),
    _sku("CSP-DR-COMPUTE", "Disaster recovery compute points", "point", "sum", "0.25", "Compute points used."),
    _sku("CSP-DR-PUBLIC-IP", "Disaster recovery public IPs", "IP address", "average", "5.00", "Daily average."),
)


@dataclass(frozen=True, slots=True)
class SeedProduct:
    record: ProductRecord
    description: str
    marketing_text: str


@dataclass(frozen=True, slots=True)
class SeedPrice:
    product_id: str
    sku: str
    currency: str
    effective_from: date
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class SeedCatalog:
    products: tuple[SeedProduct, ...]
    skus: tuple[SeedSku, ...]
    prices: tuple[SeedPrice, ...]


def _name(tier: str) -> str:
    return f"{PRODUCT_TYPE} - {tier}"


def _product(code: str) -> SeedProduct:
    history = TIER_HISTORY[code]
    start = history[0][0]
    versions = tuple(
        ProductVersion(
            effective_from=on,
            name=_name(tier),
            tier=tier,
            orderable_before=PROMO_END if code == "csp-promo" else None,
            new_partner_rule=NEW_PARTNER_RULE if code == "csp-commit-250" and on >= RENUMBERING else None,
        )
        for on, tier in history
    )
    amounts = COMMITMENTS[code]
    commitments = tuple(Commitment(currency, start, Decimal(amounts[currency])) for currency in PRICE_LIST_CURRENCIES)
    usd = amounts["USD"]
    record = ProductRecord(
        id=product_id_for(code),
        code=code,
        product_type=PRODUCT_TYPE,
        versions=versions,
        commitments=commitments,
        exclusion_set=EXCLUSION_SET,
    )
    return SeedProduct(
        record=record,
        description=f"Acronis CSP pay-per-use contract with a minimum commitment of {usd} USD a month.",
        marketing_text=f"Pay per use with a {usd} USD monthly minimum commitment; billed monthly in arrears.",
    )


def _prices(product: SeedProduct) -> list[SeedPrice]:
    start = product.record.available_from or HISTORY_START
    factor = TIER_FACTORS[product.record.code]
    return [
        SeedPrice(product.record.id, sku.spec.sku, currency, start, sku.list_price_usd * factor * LIST_RATES[currency])
        for sku in SKUS
        for currency in PRICE_LIST_CURRENCIES
    ]


def acronis_catalog(known_on: date | None = None) -> SeedCatalog:
    """The services definition as it was known on `known_on` (all of it when None): a catalog seeded with
    `known_on=2023-12-31` is the pre-2024 one, and seeding the full one later applies the January 2024
    renames and adds Tier 2 and Tier 7 (seed 003)."""
    products: list[SeedProduct] = []
    for code in TIER_HISTORY:
        product = _product(code)
        if known_on is not None:
            versions = tuple(v for v in product.record.versions if v.effective_from <= known_on)
            if not versions:
                continue
            commitments = tuple(c for c in product.record.commitments if c.effective_from <= known_on)
            product = replace(product, record=replace(product.record, versions=versions, commitments=commitments))
        products.append(product)
    prices = [price for product in products for price in _prices(product)]
    if known_on is not None:
        prices = [p for p in prices if p.effective_from <= known_on]
    skus = tuple(s for s in SKUS if known_on is None or s.spec.effective_from <= known_on)
    return SeedCatalog(products=tuple(products), skus=skus, prices=tuple(prices))
