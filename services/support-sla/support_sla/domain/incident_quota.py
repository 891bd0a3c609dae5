"""Incident quota per reseller contract (seed 002).

For 30 days after the contract is signed incidents are unlimited; then 20 incidents per contract year
(the first year's 20 cover its remaining 11 months). A previously unknown bug credits one incident back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

UNLIMITED_DAYS = 30
YEARLY_QUOTA = 20


@dataclass(frozen=True, slots=True)
class QuotaPosition:
    """Where an incident falls: its contract year, whether the quota applies and if it is over quota."""

    contract_year: int
    unlimited: bool
    used_before: int
    quota: int | None

    @property
    def billable(self) -> bool:
        """Over the yearly quota, an incident is a paid incident (seed 002)."""
        return self.quota is not None and self.used_before >= self.quota


def contract_year(signed_on: date, on: date) -> int:
    """The contract year `on` falls in: 1 from the signature date, 2 from its first anniversary, ..."""
    years = on.year - signed_on.year - ((on.month, on.day) < (signed_on.month, signed_on.day))
    return max(0, years) + 1


def anniversary(signed_on: date, years: int) -> date:
    """The `years`-th anniversary of the signature (29 February falls back to 28 February)."""
    try:
        return signed_on.replace(year=signed_on.year + years)
    except ValueError:
        return signed_on.replace(year=signed_on.year + years, day=28)


def in_unlimited_period(signed_on: date, on: date) -> bool:
    """Incidents are unlimited for 30 days after the contract is signed (seed 002)."""
    return signed_on <= on < signed_on + timedelta(days=UNLIMITED_DAYS)


def quota_position(
    signed_on: date, on: date, counted_in_year: int, *, yearly_quota: int = YEARLY_QUOTA
) -> QuotaPosition:
    """Whether a new incident on `on` is within the quota, given the incidents already counted that year.

    `counted_in_year` excludes incidents of the unlimited period and incidents credited back (seed 002).
    """
    year = contract_year(signed_on, on)
    if in_unlimited_period(signed_on, on):
        return QuotaPosition(year, unlimited=True, used_before=counted_in_year, quota=None)
    return QuotaPosition(year, unlimited=False, used_before=counted_in_year, quota=yearly_quota)
