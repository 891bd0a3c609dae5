"""The Tier 1 region rule: the data a product version carries, and the one evaluation of it.

The catalog owns availability and publishes each version's rule on `ProductPublished` / `ProductChanged`
(`new_partner_restriction`). The catalog's eligibility answer and the subscriptions' order and tier-change checks
both evaluate it with `new_partner_refused`, so the two cannot drift apart. Pure: no I/O, no clock; which version
is in force on a date stays with each service's own product model (docs/domain.md, "Tier 1 region rule").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date


def country_code(code: str) -> str:
    """A country as the rules compare it: an upper-case ISO 3166-1 alpha-2 code, so `gb` is `GB`
    (docs/domain.md, "Tier 1 region rule")."""
    return code.strip().upper()


@dataclass(frozen=True, slots=True)
class Partner:
    """A reseller as the availability rules see it: its country (normalized here, once, for every rule) and the
    day its partnership with the vendor started."""

    country: str
    partner_since: date

    def __post_init__(self) -> None:
        object.__setattr__(self, "country", country_code(self.country))


@dataclass(frozen=True, slots=True)
class NewPartnerRule:
    """A product version's region rule: partners in `countries` whose partnership started on or after
    `partners_since` may not buy the product or move to it (the event's `NewPartnerRestriction`)."""

    countries: tuple[str, ...]
    partners_since: date


def new_partner_refused(rule: NewPartnerRule | None, partner: Partner) -> bool:
    """Tier 1 region rule: a new partner (partnership started on or after the rule's date) in one of the rule's
    countries cannot buy the product or move to it; earlier partners keep it (seed 003)."""
    return rule is not None and partner.country in rule.countries and partner.partner_since >= rule.partners_since
