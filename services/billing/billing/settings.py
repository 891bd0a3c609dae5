"""Settings of the billing service: environment variables `BILLING_*`, then suite-wide `BSS_*`."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from bss.settings import ServiceSettings


class BillingSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="BILLING_", extra="ignore", validate_default=True)

    service_name: ClassVar[str] = "billing"
    default_port: ClassVar[int] = 8003


@lru_cache
def get_settings() -> BillingSettings:
    return BillingSettings()
