"""Whether a reseller may buy a product on a date, and every reason when not (seed 003)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from bss.availability import Partner, new_partner_refused
from catalog.domain.timeline import ProductRecord


class Refusal(StrEnum):
    NOT_AVAILABLE_YET = "not_available_yet"
    DEACTIVATED = "deactivated"
    PURCHASE_WINDOW_CLOSED = "purchase_window_closed"
    NEW_PARTNER_REGION = "new_partner_region"


_MESSAGES: dict[Refusal, str] = {
    Refusal.NOT_AVAILABLE_YET: "The product does not exist yet on that date.",
    Refusal.DEACTIVATED: "The product is deactivated: it cannot be bought and no subscription may move to it.",
    Refusal.PURCHASE_WINDOW_CLOSED: "The product is no longer sold to new purchases from {orderable_before}.",
    Refusal.NEW_PARTNER_REGION: (
        "Partners who joined on or after {partners_since} in {countries} cannot buy or move to this tier."
    ),
}


ResellerProfile = Partner
"""What the catalog needs to know about a buyer: its country (normalized on construction) and when it became a
partner; the region rule's own input type, so there is nothing to translate."""


@dataclass(frozen=True, slots=True)
class Reason:
    code: Refusal
    message: str


@dataclass(frozen=True, slots=True)
class Eligibility:
    reasons: tuple[Reason, ...]

    @property
    def orderable(self) -> bool:
        return not self.reasons

    @property
    def codes(self) -> tuple[Refusal, ...]:
        return tuple(reason.code for reason in self.reasons)


def is_orderable(product: ProductRecord, reseller: ResellerProfile, on_date: date) -> Eligibility:
    """A product is orderable on a date unless it does not exist yet, is deactivated, its purchase window has
    closed (Promo from 2023-11-01), or the reseller is a new partner in a restricted country (Tier 1 for partners
    since 2024-01-01 in US, GB, IE, AU); every reason that applies is returned (seed 003)."""
    reasons: list[Reason] = []
    version = product.version_on(on_date)
    if version is None:
        reasons.append(Reason(Refusal.NOT_AVAILABLE_YET, _MESSAGES[Refusal.NOT_AVAILABLE_YET]))
    if product.is_deactivated_on(on_date):
        reasons.append(Reason(Refusal.DEACTIVATED, _MESSAGES[Refusal.DEACTIVATED]))
    if version is not None and version.orderable_before is not None and on_date >= version.orderable_before:
        message = _MESSAGES[Refusal.PURCHASE_WINDOW_CLOSED].format(orderable_before=version.orderable_before)
        reasons.append(Reason(Refusal.PURCHASE_WINDOW_CLOSED, message))
    rule = version.new_partner_rule if version is not None else None
    if rule is not None and new_partner_refused(rule, reseller):
        message = _MESSAGES[Refusal.NEW_PARTNER_REGION].format(
            partners_since=rule.partners_since, countries=", ".join(rule.countries)
        )
        reasons.append(Reason(Refusal.NEW_PARTNER_REGION, message))
    return Eligibility(tuple(reasons))
