"""Catalog events: what the contract products, their prices and the FX rates are, and from which date.

The catalog publishes these so that other services keep their own read models without calling it:
subscriptions checks orderability (window, region rule, exclusion set, upgrade paths), billing looks up
commitments, tier names, usage SKUs with their aggregation rule, unit prices and FX rates as of a date.
Everything is effective-dated: a consumer keeps every version and reads the one in force on the day it needs.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import ClassVar, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bss.events import topics
from bss.events.contracts.value_types import (
    Aggregation,
    CountryCode,
    Currency,
    Name,
    NonNegativeAmount,
    Percent,
    PositiveRate,
    Sku,
    Text,
    Uuid,
)
from bss.events.envelope import EventData

_PART = ConfigDict(frozen=True, extra="ignore")

# Ids used by the examples (the Acronis CSP tier products, as seeded).
_TIER1 = "0190c3a0-0001-7000-8000-000000000001"
_TIER3 = "0190c3a0-0003-7000-8000-000000000003"
_TIER4 = "0190c3a0-0004-7000-8000-000000000004"
_PROMO = "0190c3a0-0009-7000-8000-000000000009"
_SELL_BOOK = "0190c3a0-1000-7000-8000-000000000100"


class CommitmentAmount(BaseModel):
    """The monthly minimum commitment of a product in one price-list currency."""

    model_config = _PART

    currency: Currency = Field(description="ISO 4217 code of the price-list currency.")
    amount: NonNegativeAmount = Field(description="Minimum commitment per monthly billing period.")


class UsageSku(BaseModel):
    """A usage SKU (offering item) billed under the product, and how its monthly quantity is computed."""

    model_config = _PART

    sku: Sku = Field(description="The SKU code usage events report against.")
    name: Name = Field(description="What the SKU measures, as shown on invoices.")
    unit: Name = Field(description="Unit of one quantity, e.g. 'GB' (binary, 1024^3 bytes) or 'workload'.")
    aggregation: Aggregation = Field(
        description="Monthly quantity: 'sum' of deltas, 'max' value, 'last' value, or 'average' of daily values."
    )


class NewPartnerRestriction(BaseModel):
    """The region rule: partners who joined on or after a date in these countries cannot buy or move here."""

    model_config = _PART

    countries: tuple[CountryCode, ...] = Field(
        min_length=1, description="ISO 3166-1 alpha-2 countries the rule applies to."
    )
    partners_since: date = Field(
        description="Resellers whose partnership started on or after this date are refused (orders and "
        "upgrades or downgrades to this product); earlier partners keep their tier."
    )


PriceAdjustmentKind = Literal["markup", "margin", "discount"]
"""How a custom price list prices SKUs without their own entry, from the sell price."""

ProductChangeKind = Literal[
    "renamed",
    "tier_moved",
    "commitment_changed",
    "usage_skus_changed",
    "upgrades_changed",
    "orderability_changed",
    "exclusion_set_changed",
]


class _ProductDefinition(EventData):
    """The full definition of a contract product as of `effective_from` (shared by publish and change)."""

    topic: ClassVar[str] = topics.CATALOG

    product_id: Uuid = Field(description="Product identity; stays the same across renames and tier moves.")
    effective_from: date = Field(description="First day this definition applies (catalog as-of queries).")
    code: Name = Field(description="Product code, as on the vendor's price list.")
    name: Name = Field(description="Product name valid from `effective_from`.")
    product_type: Name = Field(
        default="Acronis Cyber Cloud for Service Providers", description="Product type of the product."
    )
    tier: Name = Field(description="Value of the 'Tier' characteristic from `effective_from`, e.g. 'Tier 3'.")
    commitments: tuple[CommitmentAmount, ...] = Field(
        min_length=1, description="Monthly minimum commitment, one entry per price-list currency."
    )
    usage_skus: tuple[UsageSku, ...] = Field(
        default=(), description="Usage SKUs billed under this product, with their aggregation rules."
    )
    upgrade_product_ids: tuple[Uuid, ...] = Field(
        default=(),
        description="Products that are upgrades of this one; this product is a downgrade of each of them.",
    )
    exclusion_set: Name | None = Field(
        default=None,
        description="Mutually exclusive set: a reseller holds at most one active or trial product of it.",
    )
    orderable_before: date | None = Field(
        default=None,
        description="New purchases are refused on and after this date (existing subscriptions stay valid); "
        "null when there is no end.",
    )
    new_partner_restriction: NewPartnerRestriction | None = Field(
        default=None, description="Region rule for new partners, if any."
    )

    def subject(self) -> str:
        return self.product_id

    def commitment_in(self, currency: str) -> Decimal | None:
        """The commitment in a price-list currency, or None when the product has no amount in it."""
        return next((c.amount for c in self.commitments if c.currency == currency), None)

    @model_validator(mode="after")
    def _one_commitment_per_currency(self) -> Self:
        currencies = [c.currency for c in self.commitments]
        if len(set(currencies)) != len(currencies):
            raise ValueError("commitments list a currency twice")
        return self


def _tier_definition(product_id: str, tier: str, usd: str, eur: str) -> dict[str, object]:
    return {
        "product_id": product_id,
        "effective_from": date(2024, 1, 1),
        "code": "ACC-CSP-" + tier.upper().replace(" ", "-"),
        "name": f"Acronis Cyber Cloud for Service Providers - {tier}",
        "tier": tier,
        "commitments": [{"currency": "USD", "amount": usd}, {"currency": "EUR", "amount": eur}],
        "usage_skus": [
            {"sku": "SKU-BACKUP-STORAGE-GB", "name": "Backup storage", "unit": "GB", "aggregation": "last"},
            {"sku": "SKU-WORKSTATION", "name": "Workstations", "unit": "workload", "aggregation": "max"},
        ],
        "exclusion_set": "acronis-csp-contracts",
    }


class ProductPublishedV1(_ProductDefinition):
    """A contract product was published: its first definition, effective from a date."""

    event_type: ClassVar[str] = "bss.catalog.ProductPublished.v1"

    @classmethod
    def example(cls) -> Self:
        data = _tier_definition(_TIER1, "Tier 1", "250", "230")
        data["upgrade_product_ids"] = [_TIER3]
        data["new_partner_restriction"] = {
            "countries": ["US", "GB", "IE", "AU"],
            "partners_since": date(2024, 1, 1),
        }
        return cls.model_validate(data)


class ProductChangedV1(_ProductDefinition):
    """A product's definition changes from `effective_from`: the event carries the whole new definition.

    Renames and tier moves keep the product identity (January 2024: 'Tier 2' became 'Tier 3', same
    1,000 USD commitment); existing subscriptions follow. `changes` says what differs from the version before,
    and `previous_name` / `previous_tier` say what it was called, for invoices of earlier periods.
    """

    event_type: ClassVar[str] = "bss.catalog.ProductChanged.v1"

    changes: tuple[ProductChangeKind, ...] = Field(
        min_length=1, description="What differs from the previous version of the definition."
    )
    previous_name: Name | None = Field(
        default=None, description="Name before `effective_from`; set when the change includes 'renamed'."
    )
    previous_tier: Name | None = Field(
        default=None, description="Tier before `effective_from`; set when the change includes 'tier_moved'."
    )
    reason: Text | None = Field(default=None, description="Why the product changed, for people.")

    @model_validator(mode="after")
    def _previous_values_given(self) -> Self:
        if "renamed" in self.changes and self.previous_name is None:
            raise ValueError("a rename must state previous_name")
        if "tier_moved" in self.changes and self.previous_tier is None:
            raise ValueError("a tier move must state previous_tier")
        return self

    @classmethod
    def example(cls) -> Self:
        data = _tier_definition(_TIER3, "Tier 3", "1000", "920")
        data.update(
            upgrade_product_ids=[_TIER4],
            changes=["renamed", "tier_moved"],
            previous_name="Acronis Cyber Cloud for Service Providers - Tier 2",
            previous_tier="Tier 2",
            reason="Vendor tier renumbering of January 2024: Tier 2..5 become Tier 3..6.",
        )
        return cls.model_validate(data)


class ProductDeactivatedV1(EventData):
    """A product can no longer be bought, and no subscription may move to it; existing ones stay valid."""

    event_type: ClassVar[str] = "bss.catalog.ProductDeactivated.v1"
    topic: ClassVar[str] = topics.CATALOG

    product_id: Uuid = Field(description="The deactivated product.")
    effective_from: date = Field(description="First day on which the product cannot be ordered or moved to.")
    reason: Text | None = Field(default=None, description="Why it was deactivated, for people.")

    def subject(self) -> str:
        return self.product_id

    @classmethod
    def example(cls) -> Self:
        return cls(
            product_id=_PROMO,
            effective_from=date(2025, 1, 1),
            reason="Promo retired by the vendor; existing subscriptions move before this date.",
        )


class PriceEntry(BaseModel):
    """The unit price of one usage SKU under one tier product, in one currency, per unit per month."""

    model_config = _PART

    product_id: Uuid = Field(description="The tier product the price applies to (identity survives renames).")
    tier: Name = Field(description="Tier name of that product on `effective_from`, for people.")
    sku: Sku = Field(description="The usage SKU.")
    currency: Currency = Field(description="ISO 4217 code of the price-list currency.")
    unit_price: NonNegativeAmount = Field(description="Price of one unit for a month, not rounded.")


class PriceAdjustment(BaseModel):
    """A reseller's custom price list derived from the sell price, for SKUs without their own entry."""

    model_config = _PART

    kind: PriceAdjustmentKind = Field(
        description="markup: sell x (1 + p/100); margin: sell / (1 - p/100); discount: sell x (1 - p/100)."
    )
    percent: Percent = Field(description="The percentage p.")

    @model_validator(mode="after")
    def _margin_below_100(self) -> Self:
        if self.kind == "margin" and self.percent >= 100:
            raise ValueError("a margin must be below 100 percent")
        return self


class PriceBookPublishedV1(EventData):
    """A batch of prices of one price book, all effective from the same date.

    A publication can be large (tiers x SKUs x currencies), so it is split into batches that share a
    `publication_id`; each entry is an upsert keyed by (product_id, sku, currency) from `effective_from`.
    Prices not in the publication keep their earlier version. All batches are keyed by the price book,
    so they arrive in order.
    """

    event_type: ClassVar[str] = "bss.catalog.PriceBookPublished.v1"
    topic: ClassVar[str] = topics.CATALOG

    price_book_id: Uuid = Field(description="The price book.")
    name: Name = Field(description="Name of the price book.")
    kind: Literal["vendor_sell", "reseller_custom"] = Field(
        description="'vendor_sell': the default sell prices; 'reseller_custom': one reseller's custom list."
    )
    reseller_id: Uuid | None = Field(
        default=None, description="The reseller a custom price list is assigned to; null for the sell prices."
    )
    effective_from: date = Field(description="First day the prices of this publication apply.")
    publication_id: Uuid = Field(description="Shared by all batches of one publication.")
    batch_number: int = Field(ge=1, description="Position of this batch in the publication, from 1.")
    batch_count: int = Field(ge=1, description="How many batches the publication has.")
    entries: tuple[PriceEntry, ...] = Field(default=(), description="The prices in this batch.")
    adjustment: PriceAdjustment | None = Field(
        default=None,
        description="For custom lists: how SKUs without an entry are priced from the sell price; "
        "null means they fall back to the sell price unchanged.",
    )

    def subject(self) -> str:
        return self.price_book_id

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.batch_number > self.batch_count:
            raise ValueError("batch_number is beyond batch_count")
        if (self.kind == "reseller_custom") != (self.reseller_id is not None):
            raise ValueError("a reseller_custom price book names its reseller, and only it does")
        if self.adjustment is not None and self.kind != "reseller_custom":
            raise ValueError("only a reseller_custom price book has an adjustment")
        keys = [(e.product_id, e.sku, e.currency) for e in self.entries]
        if len(set(keys)) != len(keys):
            raise ValueError("an entry (product_id, sku, currency) appears twice in the batch")
        return self

    @classmethod
    def example(cls) -> Self:
        storage, workstation = "SKU-BACKUP-STORAGE-GB", "SKU-WORKSTATION"
        prices = [
            (_TIER1, "Tier 1", storage, "USD", "0.0390"),
            (_TIER1, "Tier 1", workstation, "USD", "2.10"),
            (_TIER3, "Tier 3", storage, "USD", "0.0350"),
            (_TIER3, "Tier 3", workstation, "USD", "1.85"),
            (_TIER3, "Tier 3", storage, "JPY", "5.2"),
        ]
        return cls.model_validate(
            {
                "price_book_id": _SELL_BOOK,
                "name": "Acronis sell prices 2024",
                "kind": "vendor_sell",
                "effective_from": date(2024, 1, 1),
                "publication_id": "0190c3a0-1001-7000-8000-000000000101",
                "batch_number": 1,
                "batch_count": 2,
                "entries": [
                    {"product_id": p, "tier": t, "sku": s, "currency": c, "unit_price": u} for p, t, s, c, u in prices
                ],
            }
        )


class FxRate(BaseModel):
    """How many units of a currency one US dollar is worth."""

    model_config = _PART

    currency: Currency = Field(description="ISO 4217 code of the currency quoted against USD.")
    units_per_usd: PositiveRate = Field(
        description="Units of `currency` equal to 1 USD: amount_in_currency = amount_in_usd x units_per_usd."
    )


class FxPair(BaseModel):
    """A rate between any two currencies: 1 `base` is worth `rate` units of `quote`."""

    model_config = _PART

    base: Currency = Field(description="ISO 4217 code of the currency one unit of which is quoted.")
    quote: Currency = Field(description="ISO 4217 code of the currency the rate is in (not `base`).")
    rate: PositiveRate = Field(description="Units of `quote` equal to 1 `base`: amount_in_quote = amount x rate.")


class FxRatesPublishedV1(EventData):
    """FX rates effective from a date: units per USD (`rates`) and rates of any pair (`pairs`); billing converts
    with the direct pair, else its inverse, else through its base currency, each the latest on or before a date."""

    event_type: ClassVar[str] = "bss.catalog.FxRatesPublished.v1"
    topic: ClassVar[str] = topics.CATALOG

    rate_table_id: Uuid = Field(description="The FX rate table (the aggregate these rates belong to).")
    base_currency: Literal["USD"] = Field(default="USD", description="Every entry of `rates` is quoted against USD.")
    effective_from: date = Field(description="First day these rates apply.")
    rates: tuple[FxRate, ...] = Field(
        description="One rate per currency, in units per USD (the pairs with base USD); empty when only `pairs`."
    )
    pairs: tuple[FxPair, ...] = Field(
        default=(),
        description="Rates of other pairs (1 base = rate quote); a pair is quoted once, in one direction, per table.",
    )
    source: Name | None = Field(default=None, description="Where the rates come from, e.g. 'ECB'.")

    def subject(self) -> str:
        return self.rate_table_id

    def rate_for(self, currency: str) -> Decimal | None:
        """The units of `currency` per USD (1 for USD), or None when the table has no rate for it."""
        if currency == self.base_currency:
            return Decimal(1)
        return next((r.units_per_usd for r in self.rates if r.currency == currency), None)

    def quoted_pairs(self) -> list[tuple[str, str, Decimal]]:
        """Every rate of the table as (base, quote, rate): `rates` as pairs with base USD, then `pairs`."""
        usd = [(self.base_currency, r.currency, r.units_per_usd) for r in self.rates]
        return usd + [(p.base, p.quote, p.rate) for p in self.pairs]

    @model_validator(mode="after")
    def _one_rate_per_currency(self) -> Self:
        currencies = [r.currency for r in self.rates]
        if len(set(currencies)) != len(currencies):
            raise ValueError("rates list a currency twice")
        if self.base_currency in currencies:
            raise ValueError("the base currency has no rate against itself")
        if not self.rates and not self.pairs:
            raise ValueError("a table quotes at least one rate or pair")
        seen: set[frozenset[str]] = set()
        for base, quote, _rate in self.quoted_pairs():
            if base == quote:
                raise ValueError(f"the pair {base}/{quote} quotes a currency against itself")
            key = frozenset((base, quote))
            if key in seen:
                raise ValueError(f"the pair {base}/{quote} is quoted twice")
            seen.add(key)
        return self

    @classmethod
    def example(cls) -> Self:
        return cls.model_validate(
            {
                "rate_table_id": "0190c3a0-2000-7000-8000-000000000200",
                "effective_from": date(2024, 1, 1),
                "rates": [
                    {"currency": "EUR", "units_per_usd": "0.9050"},
                    {"currency": "CHF", "units_per_usd": "0.8412"},
                    {"currency": "JPY", "units_per_usd": "141.25"},
                ],
                "pairs": [{"base": "EUR", "quote": "SEK", "rate": "11.2"}],
                "source": "ECB reference rates",
            }
        )
