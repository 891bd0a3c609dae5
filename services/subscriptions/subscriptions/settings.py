"""Settings of the subscriptions service: environment variables `SUBSCRIPTIONS_*`, then suite-wide `BSS_*`."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from bss.events import topics
from bss.settings import ServiceSettings
from subscriptions.domain.tier_changes import Timing


class SubscriptionsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUBSCRIPTIONS_", extra="ignore", validate_default=True)

    service_name: ClassVar[str] = "subscriptions"
    default_port: ClassVar[int] = 8002

    trial_days: int = Field(
        default=30,
        ge=1,
        le=365,
        description=(
            "Seed of the default trial policy's length (`trial-policies/*`, whole UTC days), written once on a fresh "
            "database; afterwards the policy is data (`/v1/settings/trial-policies`) and this is not read."
        ),
    )
    trial_auto_convert: bool = Field(
        default=False,
        description=(
            "Seed of the default trial policy's auto-conversion (`trial-policies/*`), written once on a fresh "
            "database; afterwards the policy is data (`/v1/settings/trial-policies`) and this is not read."
        ),
    )
    trial_sweep_interval_s: float = Field(
        default=60.0, gt=0, description="How often the trial scheduler looks for trials that reached their end."
    )
    upgrade_timing: Timing = Field(default="current_period", description="Billing period an upgrade applies to.")
    downgrade_timing: Timing = Field(default="next_period", description="Billing period a downgrade applies from.")
    cancel_at_period_end: bool = Field(
        default=True, description="A cancellation ends the subscription at the end of the current billing period."
    )
    order_start_grace_hours: int = Field(
        default=24, ge=0, description="How far in the past a non-admin order may start (admins backdate freely)."
    )
    catalog_topic: str = Field(default=topics.CATALOG, description="Topic the catalog read model is built from.")
    catalog_consumer_group: str = Field(
        default="subscriptions.catalog", description="Consumer group of the catalog read model."
    )


@lru_cache
def get_settings() -> SubscriptionsSettings:
    return SubscriptionsSettings()
