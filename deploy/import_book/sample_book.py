"""The sample book's resellers and paid subscriptions, drawn deterministically so that every line imports into a
suite seeded with the Acronis catalog (docs/domain.md "Availability rules", "Mutually exclusive products").

- Each subscription is on a contract tier product available on its start day by the seeded catalog's own data
  (`catalog.domain.acronis_catalog`): Tier 2 and Tier 7 from 2024-01-01, Promo before its 2023-11-01 cut-off,
  and no Tier 1 for a new partner (since 2024-01-01) in the countries of the region rule.
- All nine contract products form one exclusion set, and an import creates live subscriptions only: a reseller
  holds at most one, so a book has at most as many subscriptions as resellers.
- Everything happened before the end of the `billed_through` month, the last month the old system invoiced.
"""

from __future__ import annotations

import random
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bss.availability import Partner, new_partner_refused
from bss.calendar_months import next_period
from catalog.domain.acronis_catalog import HISTORY_START, acronis_catalog
from catalog.domain.timeline import ProductRecord
from deploy.import_book.sample_world import CONTACTS, COUNTRIES, TRADES, CountryProfile, tax_id
from subscriptions.domain.ramp_up import max_ramp_up_cycles

FIRST_REGISTRATION = date(2021, 3, 1)
PRODUCT_WEIGHTS = {
    "csp-commit-0": 5,
    "csp-promo": 6,
    "csp-commit-250": 14,
    "csp-commit-500": 14,
    "csp-commit-1000": 18,
    "csp-commit-2000": 14,
    "csp-commit-4000": 8,
    "csp-commit-10000": 4,
    "csp-commit-25000": 2,
}
"""How often each contract tier is held, relatively (mid tiers most)."""
PAYMENT_TERMS = (14, 30, 30, 30, 45, 60)


@dataclass(frozen=True, slots=True)
class SampleReseller:
    source_id: str
    profile: CountryProfile
    registered_at: datetime
    partner_since: date
    contact: str
    row: dict[str, str]


def book_end(billed_through: date) -> datetime:
    """The instant the sample book ends: the end of the last month the old system invoiced."""
    return datetime.combine(next_period(billed_through), time(0), tzinfo=UTC)


def sample_resellers(rng: random.Random, count: int, billed_through: date) -> list[SampleReseller]:
    """`count` resellers: every country once first (so a small book still spans them), then by weight."""
    last_day = book_end(billed_through).date() - timedelta(days=10)
    names: set[str] = set()
    resellers = []
    for index in range(count):
        if index < len(COUNTRIES):
            profile = COUNTRIES[index]
        else:
            profile = rng.choices(COUNTRIES, weights=[c.weight for c in COUNTRIES])[0]
        registered_on = _day_between(rng, FIRST_REGISTRATION, last_day)
        registered_at = datetime.combine(registered_on, time(rng.randint(7, 17), rng.randint(0, 59)), tzinfo=UTC)
        partner_since = registered_on - timedelta(days=0 if rng.random() < 0.3 else rng.randint(30, 1500))
        name = _unique_name(rng, profile, names)
        resellers.append(
            SampleReseller(
                source_id=f"R-{1001 + index}",
                profile=profile,
                registered_at=registered_at,
                partner_since=partner_since,
                contact=rng.choice(CONTACTS),
                row=_reseller_row(rng, index, profile, name, registered_at, partner_since),
            )
        )
    return resellers


def _reseller_row(
    rng: random.Random, index: int, profile: CountryProfile, name: str, registered_at: datetime, partner_since: date
) -> dict[str, str]:
    city, postal_code, region = rng.choice(profile.cities)
    street = rng.choice(profile.streets)
    terms = rng.choice(PAYMENT_TERMS)
    with_tax_id = profile.code not in ("GB", "CH", "AU") or rng.random() < 0.7
    return {
        "source_id": f"R-{1001 + index}",
        "registered_at": _instant(registered_at),
        "legal_name": name,
        "billing_email": f"billing@{_slug(name)}-{1001 + index}.example",
        "address_line_1": street if profile.code == "JP" else f"{street} {rng.randint(1, 220)}",
        "address_line_2": rng.choice(("", "", "", "Floor 3", "Suite 210", "Building B")),
        "city": city,
        "postal_code": postal_code,
        "region": region or "",
        "country": profile.code,
        "partner_since": partner_since.isoformat(),
        "billing_currency": profile.currency,
        "contract_signed_on": (registered_at.date() - timedelta(days=rng.randint(0, 20))).isoformat(),
        "tax_id": (tax_id(profile.code, rng) or "") if with_tax_id else "",
        "payment_terms_days": "" if terms == 30 and rng.random() < 0.5 else str(terms),
        "locale": rng.choice(profile.locales),
    }


def _unique_name(rng: random.Random, profile: CountryProfile, taken: set[str]) -> str:
    for _ in range(50):
        name = f"{rng.choice(profile.names)} {rng.choice(TRADES)} {rng.choice(profile.legal_forms)}"
        if name not in taken:
            taken.add(name)
            return name
    name = f"{rng.choice(profile.names)} {rng.choice(TRADES)} {len(taken) + 1} {rng.choice(profile.legal_forms)}"
    taken.add(name)
    return name


def sample_subscriptions(
    rng: random.Random, resellers: list[SampleReseller], count: int, billed_through: date
) -> list[dict[str, str]]:
    """One paid subscription each for `count` of the resellers (at most one each: the exclusion set)."""
    if count > len(resellers):
        raise ValueError(
            f"{count} subscriptions for {len(resellers)} resellers: a reseller holds at most one contract "
            "subscription (one exclusion set), so a book has at most one subscription per reseller"
        )
    products = [product.record for product in acronis_catalog().products]
    holders = sorted(rng.sample(range(len(resellers)), count))
    last_start = book_end(billed_through).date() - timedelta(days=1)
    rows = []
    for number, index in enumerate(holders):
        reseller = resellers[index]
        earliest = max(reseller.registered_at.date() + timedelta(days=1), HISTORY_START + timedelta(days=2))
        latest = min(reseller.registered_at.date() + timedelta(days=150), last_start)
        start = _day_between(rng, earliest, max(earliest, latest))
        partner = Partner(reseller.profile.code, reseller.partner_since)
        product = _product(rng, products, start, partner)
        cap = max_ramp_up_cycles(start)
        rows.append(
            {
                "source_id": f"S-{5001 + number}",
                "reseller_source_id": reseller.source_id,
                "product": product.code,
                "started_at": _instant(datetime.combine(start, time(0), tzinfo=UTC)),
                "billed_through": billed_through.isoformat(),
                "ramp_up_cycles": str(rng.randint(0, cap)) if rng.random() < 0.25 else "",
            }
        )
    return rows


def orderable(product: ProductRecord, on: date, partner: Partner) -> bool:
    """Whether the seeded catalog lets this partner buy the product for a start on `on`: a version in force,
    within its purchase window, and not refused by its region rule."""
    version = product.version_on(on)
    if version is None or product.is_deactivated_on(on):
        return False
    if version.orderable_before is not None and on >= version.orderable_before:
        return False
    return not new_partner_refused(version.new_partner_rule, partner)


def _product(rng: random.Random, products: list[ProductRecord], start: date, partner: Partner) -> ProductRecord:
    candidates = [p for p in products if orderable(p, start, partner)]
    return rng.choices(candidates, weights=[PRODUCT_WEIGHTS.get(p.code, 1) for p in candidates])[0]


def _day_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, max(0, (last - first).days)))


def _instant(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _slug(name: str) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_name.lower()).strip("-")[:40]
