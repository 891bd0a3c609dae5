"""Effective-dated catalog facts billing needs: tier names, commitments, unit prices (docs/domain.md, Catalog)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from bss.events.contracts.catalog import PriceAdjustmentKind
from bss.money import PRICE_LIST_CURRENCIES


@dataclass(frozen=True, slots=True)
class ProductVersion:
    """One definition of a product from `effective_from`; `previous_tier` names it before, if it was renamed."""

    effective_from: date
    name: str
    tier: str
    commitments: tuple[tuple[str, Decimal], ...]
    previous_tier: str | None = None
    previous_name: str | None = None


def version_on(versions: Sequence[ProductVersion], day: date) -> ProductVersion | None:
    """The definition in force on `day`: the latest `effective_from` on or before it."""
    candidates = [v for v in versions if v.effective_from <= day]
    return max(candidates, key=lambda v: v.effective_from) if candidates else None


def tier_name_on(versions: Sequence[ProductVersion], day: date) -> str:
    """The tier as it was called on `day` (seed 003: December 2023 names the 1,000 USD product 'Tier 2').

    Before the first known version, the earliest version's `previous_tier` is the older name.
    """
    current = version_on(versions, day)
    if current is not None:
        return current.tier
    earliest = min(versions, key=lambda v: v.effective_from)
    return earliest.previous_tier or earliest.tier


def commitment_on(versions: Sequence[ProductVersion], day: date, currency: str) -> Decimal | None:
    """The monthly minimum commitment in a price-list currency in force on `day` (the earliest version before
    any is in force, since renames keep the commitment); None when the product has no amount in it."""
    version = version_on(versions, day) or min(versions, key=lambda v: v.effective_from)
    return dict(version.commitments).get(currency)


def price_list_currency(billing_currency: str, product_currencies: Sequence[str], fallback: str) -> str:
    """The currency usage is rated in: the billing currency when the vendor's price list (and the product) has it,
    else the fallback price-list currency, converted through FX (docs/domain.md, Currencies)."""
    if billing_currency in PRICE_LIST_CURRENCIES and billing_currency in product_currencies:
        return billing_currency
    return fallback


@dataclass(frozen=True, slots=True)
class DatedPrice:
    """A unit price from `effective_from` (one price book, product, SKU and currency)."""

    effective_from: date
    unit_price: Decimal


@dataclass(frozen=True, slots=True)
class DatedAdjustment:
    """A custom price list's rule for SKUs without their own entry, from `effective_from`."""

    effective_from: date
    kind: PriceAdjustmentKind | None
    percent: Decimal


def price_on(prices: Sequence[DatedPrice], day: date) -> Decimal | None:
    """The unit price in force on `day`: the latest `effective_from` on or before it."""
    candidates = [p for p in prices if p.effective_from <= day]
    return max(candidates, key=lambda p: p.effective_from).unit_price if candidates else None


def adjusted_sell_price(sell: Decimal, kind: str | None, percent: Decimal) -> Decimal:
    """A custom list's price from the sell price: markup sell x (1 + p/100), margin sell / (1 - p/100),
    discount sell x (1 - p/100); no adjustment keeps the sell price (docs/domain.md, Billing: custom price list)."""
    rate = percent / Decimal(100)
    if kind == "markup":
        return sell * (1 + rate)
    if kind == "margin":
        return sell / (1 - rate)
    if kind == "discount":
        return sell * (1 - rate)
    return sell


def reseller_unit_price_on(
    sell: Sequence[DatedPrice],
    custom: Sequence[DatedPrice],
    adjustments: Sequence[DatedAdjustment],
    day: date,
) -> Decimal | None:
    """What the reseller pays per unit on `day`: its custom price for the SKU, else the sell price adjusted by
    its custom list's rule, else the sell price (docs/domain.md, Billing); None when nothing prices the SKU."""
    own = price_on(custom, day)
    if own is not None:
        return own
    base = price_on(sell, day)
    if base is None:
        return None
    in_force = [a for a in adjustments if a.effective_from <= day]
    if not in_force:
        return base
    rule = max(in_force, key=lambda a: a.effective_from)
    return adjusted_sell_price(base, rule.kind, rule.percent)
