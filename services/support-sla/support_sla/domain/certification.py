"""Reseller certification (seed 002): a certification is valid 18 months; a reseller is a certified service
provider while at least two of its employees hold a valid certification."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from bss.calendar_months import add_months_clamped

VALIDITY_MONTHS = 18
MINIMUM_CERTIFIED = 2


def valid_until(certified_on: date, *, months: int = VALIDITY_MONTHS) -> date:
    """Last day a certification is valid: the day before its 18-month anniversary (seed 002)."""
    return add_months_clamped(certified_on, months) - timedelta(days=1)


@dataclass(frozen=True, slots=True)
class CertificationStatus:
    """A reseller's certification on a day."""

    certified: bool
    certified_engineers: int
    valid_until: date | None

    @property
    def changes_on(self) -> date | None:
        """The first day the status changes by itself (an expiry), if certified."""
        return self.valid_until + timedelta(days=1) if self.valid_until else None


def certification_status(
    certified_on: Iterable[date], on: date, *, minimum: int = MINIMUM_CERTIFIED
) -> CertificationStatus:
    """Certified while at least `minimum` employees hold a valid certification; valid until the second-last
    expiry among them, i.e. the day the count would fall below the minimum (seed 002)."""
    ends = sorted((valid_until(d) for d in certified_on if d <= on <= valid_until(d)), reverse=True)
    if len(ends) < minimum:
        return CertificationStatus(False, len(ends), None)
    return CertificationStatus(True, len(ends), ends[minimum - 1])
