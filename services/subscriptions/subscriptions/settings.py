"""Settings of the subscriptions service: environment variables `SUBSCRIPTIONS_*`, then suite-wide `BSS_*`."""

from __future__ import annotations

from functools import lru_cache
from typing import ClassVar

from pydantic_settings import SettingsConfigDict

from bss.settings import ServiceSettings


class SubscriptionsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="SUBSCRIPTIONS_", extra="ignore", validate_default=True)

    service_name: ClassVar[str] = "subscriptions"
    default_port: ClassVar[int] = 8002


@lru_cache
def get_settings() -> SubscriptionsSettings:
    return SubscriptionsSettings()
