"""The catalog as subscriptions sees it: effective-dated product versions learned from catalog events.

A product keeps its id across renames and tier moves (January 2024: 'Tier 2' became 'Tier 3' with the same
1,000 USD commitment); every question is asked "as of" a date and answered by the version in force then.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from bss.availability import NewPartnerRule


@dataclass(frozen=True, slots=True)
class ProductVersion:
    """One definition of a contract product, in force from `effective_from` until the next version."""

    product_id: str
    effective_from: date
    code: str
    name: str
    tier: str
    commitments: Mapping[str, Decimal]
    upgrade_product_ids: frozenset[str] = frozenset()
    exclusion_set: str | None = None
    orderable_before: date | None = None
    new_partner_rule: NewPartnerRule | None = None

    def commitment(self, currency: str) -> tuple[Decimal, str]:
        """The commitment in `currency` when the price list has it, else in USD (billing converts with FX)."""
        if currency in self.commitments:
            return self.commitments[currency], currency
        if "USD" in self.commitments:
            return self.commitments["USD"], "USD"
        first = sorted(self.commitments)[0]
        return self.commitments[first], first


@dataclass(frozen=True, slots=True)
class Product:
    """A product's whole history: its versions (any order) and the day it was deactivated, if it was."""

    product_id: str
    versions: Sequence[ProductVersion]
    deactivated_from: date | None = None
    _sorted: tuple[ProductVersion, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_sorted", tuple(sorted(self.versions, key=lambda v: v.effective_from)))

    def as_of(self, on: date) -> ProductVersion | None:
        """The version in force on `on`: the latest whose `effective_from` is on or before it (catalog as-of)."""
        found: ProductVersion | None = None
        for version in self._sorted:
            if version.effective_from <= on:
                found = version
        return found

    def named_as_of(self, on: date) -> ProductVersion | None:
        """The version whose name applies on `on`, or the first one for a date before the product existed."""
        return self.as_of(on) or (self._sorted[0] if self._sorted else None)

    def deactivated_on(self, on: date) -> bool:
        """A deactivated product cannot be bought or moved to from its deactivation date (DOMAIN: Catalog)."""
        return self.deactivated_from is not None and self.deactivated_from <= on


def is_upgrade(current: ProductVersion, target_id: str) -> bool:
    """B is an upgrade of A when A lists B among its upgrades (DOMAIN: Upgrade / downgrade)."""
    return target_id in current.upgrade_product_ids


def is_downgrade(current_id: str, target: ProductVersion) -> bool:
    """Declaring A an upgrade of B makes B a downgrade of A (DOMAIN: Upgrade / downgrade)."""
    return current_id in target.upgrade_product_ids
