"""Order validation: one pure function that names every reason an order of a contract product is refused."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from bss.availability import Partner, new_partner_refused
from subscriptions.domain.catalog_model import Product
from subscriptions.domain.lifecycle import LIVE_STATUSES


@dataclass(frozen=True, slots=True)
class Refusal:
    """One broken rule: a stable `code`, the request `field` it concerns, and what to do about it."""

    code: str
    field: str
    message: str


@dataclass(frozen=True, slots=True)
class ResellerFacts:
    """What the order rules need to know about the buyer."""

    reseller_id: str
    status: str
    country: str
    partner_since: date
    billing_currency: str

    @property
    def partner(self) -> Partner:
        """The buyer as the availability rules (`bss.availability`) see it."""
        return Partner(self.country, self.partner_since)


@dataclass(frozen=True, slots=True)
class HeldSubscription:
    """A subscription the reseller already holds, as the exclusion-set rule sees it."""

    subscription_id: str
    exclusion_set: str | None
    status: str
    ends_at: datetime | None


def order_refusals(
    *,
    reseller: ResellerFacts | None,
    product: Product | None,
    start_on: date,
    started_at: datetime,
    held: Sequence[HeldSubscription],
    priceable_currencies: Iterable[str],
) -> list[Refusal]:
    """Every reason the order is refused: orderability on the start date, region rule, exclusion set, reseller
    state and currency (DOMAIN: Subscriptions, "Ordering validates"; seed 003)."""
    refusals: list[Refusal] = []
    if reseller is None:
        refusals.append(Refusal("reseller_unknown", "reseller_id", "No such reseller; register it first."))
    elif reseller.status != "active":
        refusals.append(
            Refusal("reseller_suspended", "reseller_id", f"The reseller is {reseller.status}; reactivate it first.")
        )
    if product is None:
        refusals.append(Refusal("product_unknown", "product_id", "No such contract product in the catalog."))
        return refusals
    refusals += _product_refusals(product, reseller, start_on)
    refusals += _exclusion_refusals(product, start_on, started_at, held)
    if reseller is not None:
        refusals += _currency_refusals(product, start_on, reseller.billing_currency, set(priceable_currencies))
    return refusals


def _product_refusals(product: Product, reseller: ResellerFacts | None, start_on: date) -> list[Refusal]:
    version = product.as_of(start_on)
    if version is None:
        return [Refusal("product_not_yet_available", "product_id", f"The product is not in the catalog on {start_on}.")]
    out: list[Refusal] = []
    if product.deactivated_on(start_on):
        out.append(
            Refusal(
                "product_deactivated", "product_id", f"{version.name} is deactivated from {product.deactivated_from}."
            )
        )
    if version.orderable_before is not None and start_on >= version.orderable_before:
        out.append(
            Refusal(
                "product_not_orderable",
                "product_id",
                f"{version.name} cannot be bought on or after {version.orderable_before} "
                "(existing subscriptions stay valid).",
            )
        )
    if reseller is not None and new_partner_refused(version.new_partner_rule, reseller.partner):
        out.append(
            Refusal(
                "region_rule",
                "product_id",
                f"{version.tier} is not orderable for partners in {reseller.country} who joined on or after "
                f"{version.new_partner_rule.partners_since if version.new_partner_rule else ''}; choose a higher tier.",
            )
        )
    return out


def _exclusion_refusals(
    product: Product, start_on: date, started_at: datetime, held: Sequence[HeldSubscription]
) -> list[Refusal]:
    version = product.as_of(start_on)
    exclusion_set = version.exclusion_set if version is not None else None
    if exclusion_set is None:
        return []
    for other in held:
        if other.exclusion_set != exclusion_set:
            continue
        overlapping = other.status == "cancelled" and other.ends_at is not None and other.ends_at > started_at
        if other.status in LIVE_STATUSES or overlapping:
            return [
                Refusal(
                    "exclusion_set",
                    "product_id",
                    f"The reseller already holds subscription {other.subscription_id} ({other.status}) in the "
                    f"mutually exclusive set '{exclusion_set}'; change its tier instead of buying a second one.",
                )
            ]
    return []


def _currency_refusals(product: Product, on: date, currency: str, priceable: set[str]) -> list[Refusal]:
    version = product.as_of(on)
    if version is None or currency in version.commitments or currency in priceable:
        return []
    return [
        Refusal(
            "currency_not_priceable",
            "billing_currency",
            f"The reseller bills in {currency}, which is neither a price-list currency nor has an FX rate.",
        )
    ]
