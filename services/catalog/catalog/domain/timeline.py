"""Effective-dated catalog records: what a product is called, commits to and allows, from which date."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Protocol, TypeVar

from bss.availability import NewPartnerRule


class Dated(Protocol):
    @property
    def effective_from(self) -> date: ...


D = TypeVar("D", bound=Dated)


@dataclass(frozen=True, slots=True)
class ProductVersion:
    """The dated attributes of a product: valid from `effective_from` until the next version."""

    effective_from: date
    name: str
    tier: str
    orderable_before: date | None = None
    new_partner_rule: NewPartnerRule | None = None


@dataclass(frozen=True, slots=True)
class Commitment:
    """A monthly minimum commitment in one currency, from `effective_from` until the next one in it."""

    currency: str
    effective_from: date
    amount: Decimal


@dataclass(frozen=True, slots=True)
class UsageSkuSpec:
    """A usage SKU of a product type, billed from `effective_from`."""

    sku: str
    name: str
    unit: str
    aggregation: str
    effective_from: date


@dataclass(frozen=True, slots=True)
class ProductRecord:
    """A product with its whole history, as the catalog stores it."""

    id: str
    code: str
    product_type: str
    versions: tuple[ProductVersion, ...]
    commitments: tuple[Commitment, ...] = ()
    deactivated_on: date | None = None
    exclusion_set: str | None = None

    @property
    def available_from(self) -> date | None:
        """The product exists from its first version's date (Tier 2 and Tier 7 from 2024-01-01, seed 003)."""
        return min((v.effective_from for v in self.versions), default=None)

    def version_on(self, on: date) -> ProductVersion | None:
        """The version in force on `on`, or None before the product existed."""
        return in_force(self.versions, on)

    def commitments_on(self, on: date) -> dict[str, Decimal]:
        """The commitment per currency in force on `on` (each currency has its own history)."""
        return commitments_on(self.commitments, on)

    def is_deactivated_on(self, on: date) -> bool:
        """A product deactivated from a date cannot be bought or moved to from that date on (seed 003)."""
        return self.deactivated_on is not None and on >= self.deactivated_on


def in_force(records: Iterable[D], on: date) -> D | None:
    """The record with the latest `effective_from` on or before `on`: a dated value holds until replaced."""
    best: D | None = None
    for record in records:
        if record.effective_from <= on and (best is None or record.effective_from > best.effective_from):
            best = record
    return best


def commitments_on(commitments: Sequence[Commitment], on: date) -> dict[str, Decimal]:
    """Per currency, the commitment in force on `on`."""
    by_currency: dict[str, list[Commitment]] = {}
    for commitment in commitments:
        by_currency.setdefault(commitment.currency, []).append(commitment)
    found = {currency: in_force(history, on) for currency, history in by_currency.items()}
    return {currency: c.amount for currency, c in sorted(found.items()) if c is not None}
