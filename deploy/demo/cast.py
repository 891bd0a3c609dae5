"""Who the month is about: the distributor's resellers, what each orders, and its customers' usage.

Every date is a day of the demo month (the calendar month before today, see `scenario.demo_period`), so the
story reads the same whichever month it runs in. Usage is given as each customer's month-end figure per SKU:
the peak for `max` SKUs, the last value for `last` SKUs, the total for `sum` SKUs; `usage_stream` turns it
into readings every six hours whose aggregate is exactly that figure.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

SERVERS = "CSP-SERVERS"  # max: the peak number of protected servers
WORKSTATIONS = "CSP-WORKSTATIONS"  # max
CLOUD_STORAGE = "CSP-CLOUD-STORAGE-GB"  # last: accumulated backup storage in binary GB
DR_COMPUTE = "CSP-DR-COMPUTE"  # sum: disaster-recovery compute points, reported as deltas

SKUS = (SERVERS, WORKSTATIONS, CLOUD_STORAGE, DR_COMPUTE)


@dataclass(frozen=True, slots=True)
class CustomerMonth:
    """One customer of a reseller: servers, workstations, storage GB and DR compute points of the month."""

    servers: int
    workstations: int
    storage_gb: Decimal
    dr_points: int = 0

    def figures(self) -> dict[str, Decimal]:
        """The month-end figure per SKU (SKUs the customer did not use are left out)."""
        values = {
            SERVERS: Decimal(self.servers),
            WORKSTATIONS: Decimal(self.workstations),
            CLOUD_STORAGE: self.storage_gb,
            DR_COMPUTE: Decimal(self.dr_points),
        }
        return {sku: value for sku, value in values.items() if value > 0}


@dataclass(frozen=True, slots=True)
class TierChange:
    """A tier change on `day` of the month: an upgrade applies to the whole month, a downgrade from the next."""

    to_tier: str
    day: int


@dataclass(frozen=True, slots=True)
class ResellerPlan:
    key: str
    legal_name: str
    city: str
    country: str
    currency: str
    partner_since: date
    certified_engineers: int  # two or more make a certified service provider (no ticket fee)
    tier: str
    kind: str = "paid"
    start_day: int = 1
    ramp_up_cycles: int | None = None
    tries_first: str | None = None  # a tier ordered first and refused (the Tier 1 region rule)
    tier_change: TierChange | None = None
    customers: tuple[CustomerMonth, ...] = ()


def _d(text: str) -> Decimal:
    return Decimal(text)


CAST: tuple[ResellerPlan, ...] = (
    ResellerPlan(
        key="us",
        legal_name="Bluewater IT Services LLC",
        city="Austin",
        country="US",
        currency="USD",
        partner_since=date(2019, 4, 1),
        certified_engineers=1,  # one certified engineer is not enough: pays a fee per ticket
        tier="Tier 2",
        tier_change=TierChange("Tier 3", day=20),  # upgrade: Tier 3 for the whole month
        customers=(
            CustomerMonth(6, 40, _d("350")),
            CustomerMonth(4, 25, _d("500")),
            CustomerMonth(3, 30, _d("250.5"), dr_points=120),
            CustomerMonth(7, 15, _d("400")),
        ),
    ),
    ResellerPlan(
        key="de",
        legal_name="Nordlicht Managed Services GmbH",
        city="Hamburg",
        country="DE",
        currency="EUR",
        partner_since=date(2022, 5, 1),
        certified_engineers=2,
        tier="Tier 2",
        ramp_up_cycles=1,  # the commitment is waived for the first month
        customers=(
            CustomerMonth(3, 20, _d("200")),
            CustomerMonth(2, 12, _d("150")),
            CustomerMonth(4, 18, _d("320")),
        ),
    ),
    ResellerPlan(
        key="jp",
        legal_name="Sakura Cloud Partners KK",
        city="Osaka",
        country="JP",
        currency="JPY",
        partner_since=date(2021, 9, 1),
        certified_engineers=3,
        tier="Tier 3",
        tier_change=TierChange("Tier 2", day=25),  # downgrade: Tier 2 only from the next month
        customers=(
            CustomerMonth(8, 40, _d("700")),
            CustomerMonth(5, 30, _d("900"), dr_points=150),
            CustomerMonth(6, 20, _d("600")),
            CustomerMonth(4, 15, _d("800")),
            CustomerMonth(2, 25, _d("1000.3")),
        ),
    ),
    ResellerPlan(
        key="ch",
        legal_name="Alpenwerk Informatik AG",
        city="Zurich",
        country="CH",
        currency="CHF",  # not a price-list currency: billed from USD prices through FX
        partner_since=date(2020, 2, 1),
        certified_engineers=2,
        tier="Tier 2",
        customers=(
            CustomerMonth(4, 25, _d("300")),
            CustomerMonth(3, 18, _d("180")),
            CustomerMonth(2, 12, _d("220")),
        ),
    ),
    ResellerPlan(
        key="gb",
        legal_name="Thames Backup Ltd",
        city="Reading",
        country="GB",
        currency="GBP",
        partner_since=date(2025, 3, 1),  # a new partner in GB: Tier 1 is not for it
        certified_engineers=0,
        tier="Tier 2",
        kind="trial",
        start_day=12,
        tries_first="Tier 1",
        customers=(
            CustomerMonth(2, 10, _d("120")),
            CustomerMonth(1, 8, _d("90")),
        ),
    ),
)

# FX rates the demo publishes when the catalog has none for these currencies on the invoice date (units per USD).
FX_UNITS_PER_USD = {"CHF": Decimal("0.8412"), "EUR": Decimal("0.9200")}
