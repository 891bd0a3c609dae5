"""Settings of the billing service: environment variables `BILLING_*`, then suite-wide `BSS_*`."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from bss.settings import ServiceSettings


class BillingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore", validate_default=True)

    service_name: ClassVar[str] = "billing"
    default_port: ClassVar[int] = 8003

    usage_batch_limit: int = Field(default=10_000, ge=1, description="Most usage events one POST may carry.")
    usage_future_tolerance_s: float = Field(
        default=3600.0, ge=0, description="Usage measured further than this in the future is rejected."
    )
    usage_duplicate_check: bool = Field(
        default=True,
        description="Answer 'duplicate' for event ids billing already decided on (one index lookup per event); "
        "false: such a resend is answered 'accepted' and still counted once.",
    )
    # Seeds only: a fresh database's first settings (docs/domain.md, "Settings as data"). A running service reads
    # them from the database, where the admin API changes them (`/v1/settings/...`); these are never read again.
    fx_price_list_currency: str = Field(
        default="USD",
        description="Seed of the `price-list-currencies` setting (`*`): the price list of resellers billed in a "
        "currency the vendor's price lists lack.",
    )
    tax_rates: dict[str, Decimal] = Field(
        default_factory=dict,
        description="Seed of the `tax-rates` setting: percent per reseller country (ISO 3166-1 alpha-2).",
    )
    default_tax_rate: Decimal = Field(
        default=Decimal(0), ge=0, le=100, description="Seed of the `tax-rates` setting for countries not listed (`*`)."
    )
    distributor_discount_percent: Decimal = Field(
        default=Decimal(0),
        ge=0,
        le=100,
        description="Seed of the `distributor-discounts` setting (`*`): the discount on the vendor sell price.",
    )
    usage_consumers: int = Field(
        default=2,
        ge=0,
        le=12,
        description="Usage consumers in this process; they split bss.usage's partitions. 0: an API-only process "
        "(scale ingestion and counting separately).",
    )
    consumer_group_suffix: str = Field(
        default="", description="Appended to the consumer group names (separate deployments on one broker)."
    )
    month_close_scheduler: bool = Field(default=True, description="Close the previous month on the 1st.")
    month_close_check_interval_s: float = Field(default=300.0, gt=0)
    month_close_chunk: int = Field(
        default=500,
        ge=1,
        le=5000,
        description="Subscriptions invoiced per transaction in a month close (ADR 0018: a chunk that fails is closed "
        "again one subscription per transaction).",
    )
    month_close_transactions: int = Field(
        default=2,
        ge=1,
        le=8,
        description="Chunks a month close invoices at once, each in its own transaction (PostgreSQL; SQLite: 1).",
    )
    month_close_grace_s: float = Field(
        default=7200.0, ge=0, description="Wait this long after a month ends before closing it (last day's usage)."
    )


@lru_cache
def get_settings() -> BillingSettings:
    return BillingSettings()
