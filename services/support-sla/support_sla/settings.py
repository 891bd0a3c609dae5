"""Settings of the support-sla service: environment variables `SUPPORT_*`, then suite-wide `BSS_*`."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import ClassVar

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from bss.settings import ServiceSettings
from support_sla.domain.business_calendar import BusinessCalendar, CalendarError, parse_working_hours
from support_sla.domain.sla_policy import SeverityChangeMode


class SupportSLASettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUPPORT_", extra="ignore", validate_default=True)

    service_name: ClassVar[str] = "support-sla"
    default_port: ClassVar[int] = 8004

    # The business calendar is data (`sla-calendars`, `sla-calendar-assignments`: adapters/sla_settings.py). These
    # six only seed a fresh database's calendar `default`, assigned to every reseller; a serving process never reads
    # them again (docs/domain.md, "Support severities and SLA clocks").
    sla_time_zone: str = Field(default="UTC", description="Seed of the default SLA calendar's IANA time zone")
    sla_country: str | None = Field(
        default=None, description="Seed of the default SLA calendar's public holidays: a country (ISO 3166-1)"
    )
    sla_subdivision: str | None = Field(default=None, description="Seed of the default SLA calendar's subdivision")
    sla_working_weekdays: list[int] = Field(
        default=[0, 1, 2, 3, 4], description="Seed of the default SLA calendar's working weekdays, 0 = Monday"
    )
    sla_always_open: bool = Field(
        default=False, description="Seed of the default SLA calendar: 24x7, every day is a business day"
    )
    sla_working_hours: str | None = Field(
        default=None,
        description="Seed of the default SLA calendar's working hours, e.g. 09:00-17:00 (named alternative to whole "
        "business days: business time runs only inside these local hours; default: whole days)",
    )
    sla_warning_fraction: float = Field(default=0.8, gt=0, lt=1, description="Warn at this share of a target")
    sla_severity_change: SeverityChangeMode = Field(
        default="recompute_from_opening",
        description="On a severity change: recompute every target from the opening (docs/domain.md default), or "
        "measure the new severity's targets from the change",
    )
    reseller_consumer_group: str = Field(
        default="support-sla-resellers", description="Kafka consumer group of the reseller read model"
    )
    scheduler_enabled: bool = True
    scheduler_max_sleep_s: float = Field(default=30.0, gt=0, description="Re-read due times at least this often")
    ticket_fee_amount: Decimal = Field(default=Decimal("45.00"), ge=0)
    ticket_fee_currency: str = "EUR"
    paid_incident_amount: Decimal = Field(default=Decimal("150.00"), ge=0)
    paid_incident_currency: str = "EUR"
    product_releases: list[str] = Field(
        default=["23.12", "24.1", "24.2", "24.3"], description="Released versions, for the EOL check"
    )

    @model_validator(mode="after")
    def _check_calendar(self) -> SupportSLASettings:
        """Refuse to start with a seed calendar the SLA clocks cannot use (unknown zone or country)."""
        calendar = BusinessCalendar(
            self.sla_time_zone,
            frozenset(self.sla_working_weekdays),
            self.sla_country,
            self.sla_subdivision,
            self.sla_always_open,
        )
        try:
            if self.sla_working_hours is not None:
                parse_working_hours(self.sla_working_hours)
            calendar.validate()
        except CalendarError as exc:
            raise ValueError(f"SUPPORT_SLA_{exc.field_name.upper()}: {exc.message}") from exc
        return self


@lru_cache
def get_settings() -> SupportSLASettings:
    return SupportSLASettings()
