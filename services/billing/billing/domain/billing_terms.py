"""The terms a period is billed under: tax, the distributor's cost, the price list of FX-billed resellers.

They are effective-dated settings (docs/domain.md, "Settings as data"); an invoice of a period applies the values
in force on the period's first day, the way the Tier 1 program counts only when active for the whole period.
This module holds the rules that choose among the values; reading them is the adapters' job.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from bss.vat_ids import EU_MEMBER_STATES, valid_eu_vat_id

DEFAULT_SCOPE = "*"
"""The scope of a value that applies where no narrower one is set: every country, tier or reseller."""
VENDOR_BASE_PRICE_LIST = "USD"
"""The vendor's base price list: what FX-billed resellers are rated from when no setting says otherwise."""

TaxTreatmentKind = Literal["standard", "reverse_charge"]
REVERSE_CHARGE_NOTE = (
    "Reverse charge: VAT to be accounted for by the recipient (Article 196, Council Directive 2006/112/EC)."
)


@dataclass(frozen=True, slots=True)
class TaxRule:
    """A country's rate, and the note an invoice under it prints (e.g. why no VAT is charged)."""

    rate_percent: Decimal
    note: str | None = None


@dataclass(frozen=True, slots=True)
class TaxTreatment:
    """What an invoice applied: the treatment, its rate and the legal note it carries."""

    kind: TaxTreatmentKind
    rate_percent: Decimal
    note: str | None

    @property
    def country_rule(self) -> bool:
        return self.kind == "standard"


@dataclass(frozen=True, slots=True)
class Seller:
    """The distributor as it sells: what the reverse-charge rule needs of it (country, VAT id), and what an invoice
    prints of it."""

    country: str
    vat_id: str | None
    legal_name: str = ""
    address_lines: tuple[str, ...] = ()
    iban: str | None = None
    bic: str | None = None
    bank_name: str | None = None


@dataclass(frozen=True, slots=True)
class Buyer:
    country: str
    vat_id: str | None


def reverse_charge_applies(seller: Seller | None, buyer: Buyer) -> bool:
    """EU reverse charge: a seller in one member state, a business buyer with a valid VAT id of another."""
    if seller is None:
        return False
    seller_country, buyer_country = seller.country.upper(), buyer.country.upper()
    return (
        seller_country in EU_MEMBER_STATES
        and buyer_country in EU_MEMBER_STATES
        and seller_country != buyer_country
        and valid_eu_vat_id(buyer.vat_id, buyer_country)
    )


@dataclass(frozen=True, slots=True)
class BillingTerms:
    """The values in force for one period, by scope (`DEFAULT_SCOPE` for the fallback)."""

    tax_rules: Mapping[str, TaxRule] = field(default_factory=dict)
    """By country (ISO 3166-1 alpha-2), and `*` for countries not listed."""
    discounts: Mapping[str, Decimal] = field(default_factory=dict)
    """The distributor's discount on the vendor price, percent: `reseller:<id>`, `tier:<product id>`, `*`."""
    default_price_list_currency: str = VENDOR_BASE_PRICE_LIST
    """The price list of FX-billed invoices whose reseller's profile names none (`price-list-currencies`, `*`)."""
    tier_one: Mapping[str, Decimal] = field(default_factory=dict)
    """The Tier 1 program's discount percent where it is active for the whole period: by reseller id, and `*`."""
    seller: Seller | None = None
    fx_base_currency: str = VENDOR_BASE_PRICE_LIST
    """The currency a conversion without a direct or inverse pair triangulates through (`fx-base-currency`)."""

    def tax_for(self, buyer: Buyer) -> TaxTreatment:
        """Reverse charge (0 %, with its note) when it applies; else the buyer country's rate (or the default)."""
        if reverse_charge_applies(self.seller, buyer):
            return TaxTreatment("reverse_charge", Decimal(0), REVERSE_CHARGE_NOTE)
        rule = self.tax_rules.get(buyer.country.upper()) or self.tax_rules.get(DEFAULT_SCOPE) or TaxRule(Decimal(0))
        return TaxTreatment("standard", rule.rate_percent, rule.note)

    def discount_percent(self, reseller_id: str, product_id: str) -> Decimal:
        """The narrowest discount set: the reseller's, else the tier's, else the default, else 0."""
        for scope in (f"reseller:{reseller_id}", f"tier:{product_id}", DEFAULT_SCOPE):
            if scope in self.discounts:
                return self.discounts[scope]
        return Decimal(0)

    def price_list_currency(self, profile_choice: str | None) -> str:
        """The price list an FX-billed invoice is rated from: the reseller's billing profile's choice, else the
        distributor's default, else the vendor's USD."""
        return profile_choice or self.default_price_list_currency

    def tier_one_percent(self, reseller_id: str) -> Decimal | None:
        """The Tier 1 program's discount for the reseller's invoices, if active for the whole period."""
        if reseller_id in self.tier_one:
            return self.tier_one[reseller_id]
        return self.tier_one.get(DEFAULT_SCOPE)
