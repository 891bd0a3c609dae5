"""Business calendars: which local days count as business days, and business time on them.

SLA clock conventions (docs/domain.md "Support and SLA"): a business day is a whole local day (00:00-24:00) on a
working weekday that is not a public holiday of the calendar's country (and subdivision) as the `holidays`
package gives them, nor one of the calendar's closure days (the distributor's own: a company holiday, an office
move). A 24x7 calendar makes every day a business day.

Named alternative (setting `SUPPORT_SLA_WORKING_HOURS`, e.g. 09:00-17:00): business time runs only inside those
local hours of a business day; an instant outside them starts at the next opening. The default is whole days.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

ONE_DAY = timedelta(days=1)
MONDAY_TO_FRIDAY = frozenset({0, 1, 2, 3, 4})


class CalendarError(ValueError):
    """A calendar that cannot be used: unknown time zone, country or subdivision, or no working day."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field_name = field_name
        self.message = message


@lru_cache(maxsize=256)
def _holidays_of(country: str, subdivision: str | None) -> holidays.HolidayBase:
    return holidays.country_holidays(country, subdiv=subdivision)


@lru_cache(maxsize=64)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


@dataclass(frozen=True, slots=True)
class BusinessCalendar:
    """Time zone, working weekdays (0 = Monday), public holidays of a country and closure days; or 24x7."""

    time_zone: str = "UTC"
    working_weekdays: frozenset[int] = field(default=MONDAY_TO_FRIDAY)
    country: str | None = None
    subdivision: str | None = None
    always_open: bool = False
    working_hours: tuple[time, time] | None = None  # None: whole days (the docs/domain.md default)
    closure_days: frozenset[date] = field(default=frozenset())  # the distributor's own non-business days

    def validate(self) -> BusinessCalendar:
        """The calendar itself, or `CalendarError` naming the field to fix (seed 002: business days)."""
        try:
            _zone(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise CalendarError("time_zone", f"unknown IANA time zone '{self.time_zone}'") from exc
        if not self.always_open and not self.working_weekdays:
            raise CalendarError("working_weekdays", "a calendar needs at least one working weekday")
        if any(day not in range(7) for day in self.working_weekdays):
            raise CalendarError("working_weekdays", "weekdays are 0 (Monday) to 6 (Sunday)")
        if self.working_hours is not None and not self.working_hours[0] < self.working_hours[1]:
            raise CalendarError("working_hours", "working hours must open before they close on the same day")
        if self.always_open and self.closure_days:
            raise CalendarError("closure_days", "a 24x7 calendar is never closed: leave closure_days empty")
        if self.subdivision is not None and self.country is None:
            raise CalendarError("subdivision", "a subdivision needs a country")
        if self.country is not None:
            try:
                _holidays_of(self.country, self.subdivision)
            except NotImplementedError as exc:
                name = "subdivision" if self.subdivision and "ubdivision" in str(exc) else "country"
                raise CalendarError(name, f"no public holidays known for {self._where()}") from exc
        return self

    def _where(self) -> str:
        return f"{self.country}-{self.subdivision}" if self.subdivision else str(self.country)

    @property
    def zone(self) -> ZoneInfo:
        """The calendar's IANA time zone."""
        return _zone(self.time_zone)

    def describe(self) -> str:
        """The calendar in words, for the SLA explanation."""
        if self.always_open:
            return f"24x7 in {self.time_zone}"
        days = ",".join(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"][d] for d in sorted(self.working_weekdays))
        where = f", public holidays of {self._where()}" if self.country else ", no public holidays"
        hours = ""
        if self.working_hours is not None:
            hours = f", working hours {self.working_hours[0]:%H:%M}-{self.working_hours[1]:%H:%M}"
        closed = ""
        if self.closure_days:
            shown = ", ".join(d.isoformat() for d in sorted(self.closure_days)[:5])
            more = f" and {len(self.closure_days) - 5} more" if len(self.closure_days) > 5 else ""
            closed = f", closed on {shown}{more}"
        return f"business days {days} in {self.time_zone}{where}{hours}{closed}"

    def holiday_name(self, day: date) -> str | None:
        """The public holiday on `day`, if the calendar's country has one."""
        if self.country is None:
            return None
        name = _holidays_of(self.country, self.subdivision).get(day)
        return str(name) if name else None

    def is_business_day(self, day: date) -> bool:
        """A working weekday that is neither a public holiday nor a closure day; every day on a 24x7 calendar
        (docs/domain.md)."""
        if self.always_open:
            return True
        return (
            day.weekday() in self.working_weekdays and day not in self.closure_days and self.holiday_name(day) is None
        )

    def local_day(self, instant: datetime) -> date:
        """The calendar's local date at `instant`."""
        return instant.astimezone(self.zone).date()

    def day_start(self, day: date) -> datetime:
        """The first instant (local 00:00) of `day`, in UTC."""
        return self.at_local(day, time(0))

    def at_local(self, day: date, time_of_day: time) -> datetime:
        """Local wall time on `day` as a UTC instant; a wall time skipped by DST lands just after the gap."""
        local = datetime.combine(day, time_of_day.replace(tzinfo=None), tzinfo=self.zone)
        return local.astimezone(UTC)

    def next_business_day(self, day: date) -> date:
        """The first business day strictly after `day`."""
        candidate = day + ONE_DAY
        for _ in range(3660):
            if self.is_business_day(candidate):
                return candidate
            candidate += ONE_DAY
        raise CalendarError("working_weekdays", "no business day within ten years")

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The business time of a business day, as UTC instants: the whole local day, or its working hours."""
        if self.working_hours is None or self.always_open:
            return self.day_start(day), self.day_start(day + ONE_DAY)
        return self.at_local(day, self.working_hours[0]), self.at_local(day, self.working_hours[1])

    def business_start(self, instant: datetime) -> datetime:
        """`instant` inside business time, else the next opening: 00:00 of the next business day by default
        (the 'start day' rule), or the next working-hours opening with the working-hours setting."""
        instant = instant.astimezone(UTC)
        day = self.local_day(instant)
        if self.is_business_day(day):
            opening, closing = self.window(day)
            if instant < opening:
                return opening
            if instant < closing:
                return instant
        return self.window(self.next_business_day(day))[0]

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """Same local time of day on the N-th business day after the (business) start day (docs/domain.md)."""
        begin = self.business_start(start)
        local = begin.astimezone(self.zone)
        day = local.date()
        for _ in range(days):
            day = self.next_business_day(day)
        return self.at_local(day, local.time())

    def business_time_between(self, start: datetime, end: datetime) -> timedelta:
        """The part of [start, end) that falls on business days (real elapsed time, DST included)."""
        # Subtracting datetimes that share a tzinfo gives wall-clock differences: compute in UTC only.
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return timedelta(0)
        total = timedelta(0)
        day = self.local_day(start)
        while self.day_start(day) < end:
            if self.is_business_day(day):
                opening, closing = self.window(day)
                total += max(timedelta(0), min(end, closing) - max(start, opening))
            day += ONE_DAY
        return total

    def add_business_time(self, instant: datetime, amount: timedelta) -> datetime:
        """Walk `amount` of business time forward from `instant`, skipping non-business days, to the earliest
        instant at which it is made up: an amount that exactly fills the rest of a business day ends at that day's
        close (24:00, or the end of its working hours), not at the next business day's start (docs/domain.md,
        "Making up paused business time")."""
        if amount <= timedelta(0):
            return instant.astimezone(UTC)
        current = self.business_start(instant)
        remaining = amount
        while True:
            day = self.local_day(current)
            available = self.window(day)[1] - current
            if remaining <= available:
                return current + remaining
            remaining -= available
            current = self.window(self.next_business_day(day))[0]


TWENTY_FOUR_SEVEN = BusinessCalendar(always_open=True)


def parse_working_hours(text: str) -> tuple[time, time]:
    """'09:00-17:00' as (opening, closing) local times, or `CalendarError` naming `working_hours`."""
    try:
        opening, closing = (time.fromisoformat(part.strip()) for part in text.split("-"))
    except ValueError as exc:
        raise CalendarError("working_hours", f"'{text}' is not HH:MM-HH:MM") from exc
    if not opening < closing:
        raise CalendarError("working_hours", "working hours must open before they close on the same day")
    return opening, closing
